"""``./run bench hostile``: a real hub process under hostile and flooding peers.

1. Baseline: one well-behaved unit sends a position report every 20 ms and waits for each
   acknowledgement (stored, fsynced); another unit sends an SOS every 200 ms. Their
   acknowledgement latencies, with nobody else on the hub.
2. Valid flood: a third enrolled device sends position reports as fast as it can, with no
   window (tens of thousands a second); the same two measure again. Per-device fair
   draining is what keeps their latency near the baseline.
3. Garbage flood: a stolen device sends random and bit-flipped frames as fast as it can —
   with the default limits (it is throttled, then cut off and alarmed), and on a hub whose
   limits are set out of reach (every frame decoded and answered) — the rate the hub
   absorbs, whether it stays up, and the others' latency meanwhile.
4. Fuzzing: ``python -m fuzz`` over every target for ``--fuzz-seconds`` each.

A refusal of what the two well-behaved units send ends the benchmark at once (exit status 1,
the hub's code and reason); the floods' answers are not read. ``--smoke``: 1.5 s phases and
100 fuzzing inputs per target.

Last line: {"garbage_frames_per_s", "others_ack_p95_ms", "baseline_ack_p95_ms",
"sos_ack_p95_ms_under_flood", "fuzz_execs", "fuzz_crashes", ...}.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zmq

from bench import common
from bench.backbone import HubUnderTest, _client_socket, payloads
from bench.calib import calib_loop_s
from bench.common import BenchFailure, log, parser, refused
from shared.protocol import Emergency, PositionReport, decode_reply, encode, new_id


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@common.child
def _measure(b: dict[str, str], kind: str, every_s: float, seconds: float, out: Any) -> None:
    """A well-behaved peer: one message, wait for its answer, repeat; latencies in ms. A
    refusal ends it."""
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.connect(b["request"])
    lat: list[float] = []
    lost = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = datetime.now(UTC)
        if kind == "sos":
            msg: Any = Emergency(
                id=new_id(), sender=b["name"], sent=now, alert_id=new_id(), lat=37.7, lon=115.6
            )
        else:
            msg = PositionReport(
                id=new_id(),
                sender=b["name"],
                sent=now,
                unit_id="GOOD",
                lat=37.7,
                lon=115.6,
                fix_time=now,
            )
        t0 = time.perf_counter()
        s.send(encode(msg))
        while True:
            if not s.poll(5000):
                lost += 1
                break
            reply = decode_reply(s.recv())
            if getattr(reply, "ref", None) == msg.id:
                refused(reply, f"{b['name']}'s {kind} message")
                lat.append((time.perf_counter() - t0) * 1000)
                break
        time.sleep(max(0.0, every_s - (time.perf_counter() - t0)))
    s.close(0)
    ctx.term()
    out.put({"kind": kind, "lat": lat, "lost": lost})


@common.child
def _flood(b: dict[str, str], mode: str, seconds: float, out: Any) -> None:
    """Send as fast as possible: valid position reports, or garbage; count what was sent."""
    if os.environ.get("HOSTILE_NICE"):
        os.nice(int(os.environ["HOSTILE_NICE"]))
    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, b)
    s.sndhwm = 100_000
    s.connect(b["request"])
    rng = random.Random(5)
    if mode == "valid":
        frames = payloads(b["name"], 50_000, units=500)
    else:
        good = payloads(b["name"], 200, units=10)
        frames = []
        for i in range(20_000):
            f = bytearray(good[i % len(good)])
            for _ in range(1 + i % 3):
                f[rng.randrange(len(f))] = rng.randrange(256)
            frames.append(bytes(f) if i % 4 else rng.randbytes(rng.randrange(1, 300)))
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    while time.perf_counter() < deadline:
        for f in frames[sent % len(frames) : sent % len(frames) + 500]:
            try:
                s.send(f, zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                time.sleep(0.001)
                break
        while True:  # read (and drop) the hub's answers so they never back up
            try:
                s.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
    elapsed = time.perf_counter() - t0
    s.close(0)
    ctx.term()
    out.put({"sent": sent, "seconds": elapsed})


def _phase(
    hub: HubUnderTest, peers: dict[str, dict[str, str]], flood: str | None, seconds: float
) -> dict[str, Any]:
    spawn = mp.get_context("spawn")
    q = spawn.Queue()
    procs = [
        spawn.Process(target=_measure, args=(peers["good"], "position", 0.02, seconds, q)),
        spawn.Process(target=_measure, args=(peers["sos"], "sos", 0.2, seconds, q)),
    ]
    if flood is not None:
        who = peers["flood"] if flood == "valid" else peers["attacker"]
        procs.append(spawn.Process(target=_flood, args=(who, flood, seconds + 1, q)))
        procs[-1].start()
        time.sleep(1.0)  # the flood is on before the measuring starts
    for p in procs[:2]:
        p.start()
    results = [common.get(q, procs, seconds + 120, "the peers' figures") for _ in procs]
    common.join(procs, 30, "the peers")
    out: dict[str, Any] = {}
    for r in results:
        if "sent" in r:
            out["flood_frames_per_s"] = round(r["sent"] / r["seconds"])
        else:
            out[r["kind"]] = r
    out["hub_alive"] = hub.proc is not None and hub.proc.poll() is None
    return out


def _peers(hub: HubUnderTest) -> dict[str, dict[str, str]]:
    return {n: hub.bundle(n) for n in ("good", "sos", "flood", "attacker")}


def main(argv: list[str] | None = None) -> None:
    ap = parser("hostile")
    ap.add_argument("--seconds", type=float, default=8.0, help="per phase")
    ap.add_argument("--fuzz-seconds", type=float, default=20.0, help="per fuzz target")
    ap.add_argument("--fuzz-runs", type=int, default=0, help="inputs per fuzz target (0: any)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.seconds, args.fuzz_seconds, args.fuzz_runs = 1.5, 1.0, 100
    common.run(lambda: _main(args))


def _main(args: Any) -> None:
    res: dict[str, Any] = {"cores": os.cpu_count(), "calib_loop_s": calib_loop_s()}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        hub = HubUnderTest(Path(tmp) / "a")
        hub.start()
        # enrolments are seen by the running hub within 250 ms
        peers = _peers(hub)
        time.sleep(0.5)
        try:
            log("1/4 baseline: a unit's position reports and another's SOS, nobody else")
            base = _phase(hub, peers, None, args.seconds)
            log("2/4 one device floods valid position reports")
            valid = _phase(hub, peers, "valid", args.seconds)
            log("3/4 a stolen device floods garbage (default limits: throttled, cut off)")
            garbage = _phase(hub, peers, "garbage", args.seconds)
        finally:
            hub.stop()
        (Path(tmp) / "b").mkdir()
        loose = HubUnderTest(Path(tmp) / "b")
        cfg = Path(tmp) / "loose.toml"
        cfg.write_text(
            "[hub]\nabuse_throttle_after = 1000000000\nabuse_cutoff_after = 1000000000\n"
        )
        loose.start("--config", str(cfg))
        peers_b = _peers(loose)
        time.sleep(0.5)
        try:
            log("3/4 … and on a hub that never cuts it off (every frame decoded and answered)")
            uncut = _phase(loose, peers_b, "garbage", args.seconds)
        finally:
            loose.stop()

    def p95(phase: dict[str, Any], kind: str) -> float:
        return round(pct(phase[kind]["lat"], 95), 2)

    res["baseline_ack_p50_ms"] = round(pct(base["position"]["lat"], 50), 2)
    res["others_ack_p50_ms"] = round(pct(valid["position"]["lat"], 50), 2)
    res["baseline_ack_p95_ms"] = p95(base, "position")
    res["others_ack_p95_ms"] = p95(valid, "position")
    res["others_ack_ratio"] = round(res["others_ack_p95_ms"] / res["baseline_ack_p95_ms"], 2)
    res["baseline_sos_ack_p95_ms"] = p95(base, "sos")
    res["sos_ack_p95_ms_under_flood"] = p95(valid, "sos")
    res["valid_flood_frames_per_s"] = valid.get("flood_frames_per_s")
    res["garbage_frames_per_s"] = garbage.get("flood_frames_per_s")
    res["others_ack_p95_ms_garbage"] = p95(garbage, "position")
    res["sos_ack_p95_ms_garbage"] = p95(garbage, "sos")
    res["garbage_frames_per_s_uncut"] = uncut.get("flood_frames_per_s")
    res["others_ack_p95_ms_garbage_uncut"] = p95(uncut, "position")
    res["hub_stayed_up"] = all(p["hub_alive"] for p in (base, valid, garbage, uncut))
    res["lost_answers"] = sum(
        p[k]["lost"] for p in (base, valid, garbage, uncut) for k in ("position", "sos")
    )
    res["samples"] = sum(len(p["position"]["lat"]) for p in (base, valid, garbage, uncut))
    log("4/4 fuzzing every target")
    runs = ["--runs", str(args.fuzz_runs), "--seed", "7"] if args.fuzz_runs else []
    fz = subprocess.run(
        [sys.executable, "-m", "fuzz", "--seconds", str(args.fuzz_seconds), *runs],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    lines = fz.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise BenchFailure(f"fuzzing gave no figures (status {fz.returncode}): {fz.stderr[-500:]}")
    summary = json.loads(lines[-1])
    res["fuzz_execs"] = summary["fuzz_execs"]
    res["fuzz_crashes"] = summary["fuzz_crashes"]
    res["fuzz"] = {
        n: {"execs": r["execs"], "crashes": r["crashes"]} for n, r in summary["targets"].items()
    }
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
