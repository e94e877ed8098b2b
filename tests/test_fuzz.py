"""The fuzz targets: every kept crasher is replayed (it must be refused cleanly now), and each
target is fuzzed briefly under atheris with a fixed seed and a fixed number of inputs, so the
run is repeatable: a crash here is a real bug, found again on every run until it is fixed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.targets import TARGETS, kept_inputs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_and_kept_inputs_are_handled(name: str) -> None:
    target = TARGETS[name]
    seeds = target.seeds()
    assert seeds, f"{name} has no seeds"
    for data in seeds:
        target.run(data)
    for path in kept_inputs(name):
        target.run(path.read_bytes())  # a crasher found once: refused cleanly now


def test_the_crashers_of_the_first_wave_are_kept() -> None:
    # One frame with invalid UTF-8 stopped the hub; one flipped byte broke exchange verify.
    assert kept_inputs("request") and kept_inputs("exchange")


def test_every_target_survives_a_brief_fuzzing_run() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "fuzz", "--runs", "3000", "--seed", "7", "--seconds", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    crashed = {n: r for n, r in summary["targets"].items() if r["crashes"]}
    assert not crashed, json.dumps(crashed, ensure_ascii=False, indent=1) + res.stderr[-2000:]
    assert res.returncode == 0
    assert set(summary["targets"]) == set(TARGETS)
    assert all(r["execs"] >= 3000 for r in summary["targets"].values()), summary
