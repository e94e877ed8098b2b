"""``./run demo``: a hub process, simulated units and the command-hall window, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_shows_the_window_with_units_moving(tmp_path: Path, artifacts: Path) -> None:
    shot = artifacts / "demo-command-hall.png"
    shot.unlink(missing_ok=True)
    res = subprocess.run(
        [sys.executable, "-m", "command_center.demo", "--data-dir", str(tmp_path / "demo"),
         "--units", "20", "--seconds", "10", "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=600, env={**os.environ},
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    shown = json.loads(res.stdout.strip().splitlines()[-1])
    assert shown["synced"] is True and shown["problem"] == ""
    assert shown["units"] == 20 and shown["drawn"] == 20  # every simulated unit on the map
    assert shown["incidents"] == 3  # the three drill incidents, declared from the hall
    assert shot.is_file() and shot.stat().st_size > 20_000
