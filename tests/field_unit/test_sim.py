"""``field-unit sim`` against a real hub process: every message held exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared.geo import county_seats
from shared.sim import make_units
from tests.support import running_hub


def test_sim_summary_counts_what_the_hub_holds(tmp_path: Path) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        bundle = data / "sim.json"
        assert hub.cli("enroll", "--name", "sim-1", "--role", "field", "--out", str(bundle))
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "field_unit",
                "sim",
                "--bundle",
                str(bundle),
                "--units",
                "50",
                "--rate",
                "2",
                "--duration",
                "3",
                "--outbox",
                str(tmp_path / "ob.db"),
                "--summary-json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(summary) >= {"sent", "acked", "lost", "duplicates", "p50_ms", "p95_ms", "p99_ms"}
    assert summary["sent"] >= 250
    assert summary["acked"] == summary["sent"]
    assert summary["lost"] == 0 and summary["duplicates"] == 0
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]


def test_sim_refuses_a_bad_bundle_plainly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = subprocess.run(
        [sys.executable, "-m", "field_unit", "sim", "--bundle", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert "corrupt" in res.stderr and "Traceback" not in res.stderr


def test_tracks_stay_inside_hengshui_and_move() -> None:
    seats = county_seats()
    lats = [s.lat for s in seats]
    lons = [s.lon for s in seats]
    units = make_units("T", 20, seed=3)
    start = [(u.lat, u.lon) for u in units]
    for _ in range(600):
        for u in units:
            u.step(1.0, seats)
            assert min(lats) - 0.02 <= u.lat <= max(lats) + 0.02
            assert min(lons) - 0.02 <= u.lon <= max(lons) + 0.02
    moved = [abs(u.lat - a) + abs(u.lon - b) > 0.01 for u, (a, b) in zip(units, start, strict=True)]
    assert sum(moved) >= 15
