"""``field-unit sim`` against a real hub process: every message held exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from shared.geo import county_seats
from shared.sim import make_units
from tests.support import running_hub


def _sim(bundle: Path, outbox: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    res = subprocess.run(
        [sys.executable, "-m", "field_unit", "sim", "--bundle", str(bundle), "--units", "50",
         "--rate", "2", "--duration", "3", "--outbox", str(outbox), "--summary-json",
         "--report-probability", "0.05", *extra],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    lines = res.stdout.strip().splitlines()
    return res.returncode, json.loads(lines[-1]) if lines else {}, res.stderr


def test_sim_summary_counts_what_the_hub_holds(tmp_path: Path) -> None:
    """The simulator declares the (exercise) incidents its units report on, so nothing is
    refused; run again, it reuses them; everything sent is held once, nothing is lost."""
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        bundle = data / "sim.json"
        assert hub.cli("enroll", "--name", "sim-1", "--role", "field", "--out", str(bundle))
        code, summary, err = _sim(bundle, tmp_path / "ob.db")
        assert code == 0, err
        again_code, again, err = _sim(bundle, tmp_path / "ob.db", "--seed", "2")
        assert again_code == 0, err
    assert {"sent", "acked", "refused", "refused_codes", "lost", "duplicates", "p50_ms"} <= set(
        summary
    )
    assert summary["sent"] >= 250 and summary["reports"] > 0
    assert summary["declared"] == 20  # SIM-001 … SIM-020, as exercises
    assert summary["acked"] == summary["sent"]
    assert summary["refused"] == 0 and summary["lost"] == 0 and summary["duplicates"] == 0
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    # the second run found them declared already and reported on them
    assert again["declared"] == 0 and again["reports"] > 0
    assert again["acked"] == again["sent"] and again["refused"] == again["lost"] == 0


def test_refused_reports_are_counted_as_refused_not_lost(tmp_path: Path) -> None:
    """Sending as real, the simulator declares nothing (it never makes real incidents): its
    reports on incidents the hub does not hold are refused not_found, and said so."""
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        bundle = data / "sim.json"
        assert hub.cli("enroll", "--name", "sim-1", "--role", "field", "--out", str(bundle))
        code, summary, err = _sim(bundle, tmp_path / "ob.db", "--real")
    assert code == 0, err
    assert summary["declared"] == 0 and summary["reports"] > 0
    assert summary["refused"] == summary["reports"]
    assert summary["refused_codes"] == {"not_found": summary["reports"]}
    assert summary["lost"] == 0 and summary["acked"] == summary["sent"] - summary["reports"]


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
