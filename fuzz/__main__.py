"""``./run fuzz [TARGET ...] [--seconds N]``: coverage-guided fuzzing of every input boundary.

Each target runs under atheris (libFuzzer) in a process of its own, starting from its seeds
and the inputs kept in ``fuzz/corpus/TARGET/``. An input that makes the boundary raise
anything but its documented refusal, or take longer than ``--timeout`` seconds, is a crash:
it is copied into ``fuzz/corpus/TARGET/`` (commit it: the regression test replays every
kept input on every run of ``./run test``) and the run says so.

``--replay`` runs only the seeds and kept inputs, without atheris (what the test does).
The last line is a JSON object: per target ``execs``, ``crashes``, ``seconds``; in all
``fuzz_execs`` and ``fuzz_crashes``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fuzz.targets import CORPUS, TARGETS, kept_inputs


def _child(name: str) -> None:
    """Inside the fuzzing process: warm the target (imports), instrument, fuzz."""
    import atheris

    target = TARGETS[name]
    # The project's modules are imported (lazily, by the seeds and a first run) inside this
    # block, so only they are instrumented: third-party code would cost start-up time.
    with atheris.instrument_imports(include=["shared", "command_center", "field_unit"]):
        for seed in target.seeds():
            target.run(seed)  # a seed that crashes is a bug in the seed or the code: say so
    atheris.Setup(sys.argv, target.run)
    atheris.Fuzz()


def _run_target(
    name: str, seconds: float, timeout_s: int, runs: int = 0, seed: int = 0
) -> dict[str, object]:
    target = TARGETS[name]
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        work, crashes = Path(tmp) / "corpus", Path(tmp) / "crashes"
        work.mkdir()
        crashes.mkdir()
        for i, sample in enumerate(target.seeds()):
            (work / f"seed-{i}").write_bytes(sample)
        for kept in kept_inputs(name):
            shutil.copy(kept, work / kept.name)
        cmd = [
            sys.executable,
            "-m",
            "fuzz",
            "--child",
            name,
            f"-max_total_time={max(1, int(seconds))}",
            f"-timeout={timeout_s}",
            "-rss_limit_mb=3072",
            f"-artifact_prefix={crashes}/",
            *([f"-runs={runs}"] if runs else []),
            *([f"-seed={seed}"] if seed else []),
            "-print_final_stats=1",
            str(work),
        ]
        started = time.monotonic()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", timeout=seconds + 300
        )
        took = time.monotonic() - started
        log = proc.stdout + proc.stderr
        execs = _stat(log, r"stat::number_of_executed_units:\s*(\d+)") or _stat(
            log, r"Done (\d+) runs"
        )
        found = sorted(crashes.iterdir())
        kept: list[str] = []
        for crash in found:
            data = crash.read_bytes()
            dest = CORPUS / name / f"{crash.name.split('-')[0]}-{hashlib.sha1(data).hexdigest()}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            kept.append(str(dest.relative_to(CORPUS.parent.parent)))
        failed_to_start = proc.returncode != 0 and not found
        if failed_to_start:
            sys.stderr.write(log[-3000:])
        result: dict[str, object] = {
            "execs": execs,
            "crashes": len(found) + (1 if failed_to_start else 0),
            "seconds": round(took, 1),
            "cov": _stat(log, r"cov: (\d+)"),
        }
        if kept:
            result["kept"] = kept
            tail = [ln for ln in log.splitlines() if "Error" in ln or "Traceback" in ln]
            result["error"] = "; ".join(tail[-3:])[:500]
        return result


def _stat(log: str, pattern: str) -> int:
    found = re.findall(pattern, log)
    return int(found[-1]) if found else 0


def _replay(names: list[str]) -> int:
    """Seeds and kept inputs through each target, in this process; returns failures."""
    failures = 0
    for name in names:
        target = TARGETS[name]
        inputs = [(f"seed-{i}", s) for i, s in enumerate(target.seeds())]
        inputs += [(p.name, p.read_bytes()) for p in kept_inputs(name)]
        for label, data in inputs:
            try:
                target.run(data)
            except Exception as exc:
                failures += 1
                print(f"{name}/{label}: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"{name}: {len(inputs)} inputs replayed", file=sys.stderr)
    return failures


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        sys.argv = [sys.argv[0], *argv[2:]]
        _child(argv[1])
        return 0
    parser = argparse.ArgumentParser(prog="./run fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="default: every target")
    parser.add_argument("--seconds", type=float, default=60.0, help="per target (default 60)")
    parser.add_argument("--timeout", type=int, default=5, help="seconds one input may take")
    parser.add_argument(
        "--runs", type=int, default=0, help="stop after this many inputs (with --seed: repeatable)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the fuzzer's random seed (0: any)")
    parser.add_argument("--list", action="store_true", help="list the targets and stop")
    parser.add_argument("--replay", action="store_true", help="kept inputs only, no atheris")
    args = parser.parse_args(argv)
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    names = args.targets or list(TARGETS)
    if args.list:
        for t in TARGETS.values():
            print(f"{t.name:18} {len(kept_inputs(t.name)):4} kept  {t.about}")
        return 0
    if args.replay:
        return 1 if _replay(names) else 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: run ./run setup", file=sys.stderr)
        return 2
    results: dict[str, dict[str, object]] = {}
    for name in names:
        print(f"[fuzz] {name}: {args.seconds:g} s …", file=sys.stderr, flush=True)
        results[name] = _run_target(name, args.seconds, args.timeout, args.runs, args.seed)
        print(f"[fuzz] {name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    total_execs = sum(int(r["execs"]) for r in results.values())  # type: ignore[call-overload]
    total_crashes = sum(int(r["crashes"]) for r in results.values())  # type: ignore[call-overload]
    print(
        json.dumps(
            {
                "fuzz_execs": total_execs,
                "fuzz_crashes": total_crashes,
                "seconds_per_target": args.seconds,
                "targets": results,
                "cores": os.cpu_count(),
            },
            ensure_ascii=False,
        )
    )
    return 1 if total_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
