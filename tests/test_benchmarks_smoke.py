"""Every benchmark in bench/ runs once in its smoke mode (tiny sizes, a few seconds each), so
none can rot unnoticed (issue 24: ``./run bench field`` could no longer pass and nobody saw):
it must end with status 0 and its JSON line of figures. And a refusal of what a benchmark
measures ends it at once, the refusal named, instead of waiting out its deadline.

The benchmarks are found in the folder, so a new one cannot be left out. The GUI ones open
their windows on the suite's display (``./run test`` runs under Xvfb; tests/conftest.py sets
QT_QPA_PLATFORM, which the processes inherit). No figure is judged here: only that each
step ran."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import common
from bench.backbone import HubUnderTest, _blast, payloads

ROOT = Path(__file__).resolve().parent.parent
HELPERS = {"__init__", "calib", "common"}
"""Modules of bench/ that are not benchmarks."""
BENCHMARKS = sorted(
    p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in HELPERS and p.stem[0] != "_"
)

pytestmark = pytest.mark.slow


def _bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,  # a guard against a hang only
        env={**os.environ},
    )


def test_the_benchmarks_are_found() -> None:
    assert {"backbone", "field", "hall", "map", "media"} <= set(BENCHMARKS), BENCHMARKS


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", BENCHMARKS)
def test_the_benchmark_runs_once_in_smoke_mode(name: str) -> None:
    res = _bench(f"bench.{name}", "--smoke", timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    lines = res.stdout.strip().splitlines()
    assert lines, res.stderr[-4000:]
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict), lines[-1]
    assert figures["calib_loop_s"] > 0, figures


@pytest.mark.timeout(300)
def test_a_refused_upload_ends_the_field_benchmark_at_once() -> None:
    # The report filed on an incident nobody declared: the hub refuses it (not_found), and
    # the benchmark ends with that refusal instead of waiting 600 s for the report.
    res = _bench("bench.field", "--smoke", "--report-on", "NO-SUCH-INCIDENT", timeout=240)
    assert res.returncode == 1, res.stdout[-2000:] + res.stderr[-4000:]
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("[bench] FAILED:"), res.stderr[-4000:]
    assert "not_found" in last and "NO-SUCH-INCIDENT" in last, last
    assert not res.stdout.strip()  # no figures of an upload that did not happen


@pytest.mark.timeout(300)
def test_a_refusal_ends_a_sender_process_and_the_benchmark_waiting_for_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # backbone's and hubprofile's sender, against a real hub process: 100 position reports,
    # then 5 in another device's name. Before, it counted acknowledgements for ever.
    hub = HubUnderTest(tmp_path)
    hub.start()
    try:
        sender = hub.bundle("bench")
        frames = payloads("bench", 100, units=10) + payloads("someone-else", 5, units=10)
        spawn = mp.get_context("spawn")
        out = spawn.Queue()
        proc = spawn.Process(target=_blast, args=(sender, frames, out))
        proc.start()
        with pytest.raises(common.BenchFailure, match="ended with exit status 1"):
            common.get(out, [proc], 240, "the acknowledgements")
        proc.join(30)
    finally:
        hub.stop()
    said = capfd.readouterr().err
    assert "[bench] FAILED: a message from bench refused by the hub: sender_mismatch" in said
