"""``field-unit window`` as a person starts it: a real window process with a simulated GPS
against a real hub process; its first position reaches the hub."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from shared.store import open_engine, sqlite_url
from shared.store.models import Position
from tests.support import running_hub


def test_the_window_process_sends_positions_from_a_simulated_gps(
    tmp_path: Path, artifacts: Path
) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        bundle = data / "team.json"
        assert (
            hub.cli(
                "enroll", "--name", "team-3", "--role", "field", "--out", str(bundle)
            ).returncode
            == 0
        )
        shot = artifacts / "field-unit-process.png"
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "xcb" if env.get("DISPLAY") else "offscreen")
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "field_unit",
                "window",
                "--bundle",
                str(bundle),
                "--data-dir",
                str(tmp_path / "fu"),
                "--gps",
                "sim",
                "--every",
                "1",
                "--seconds",
                "4",
                "--screenshot",
                str(shot),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            env=env,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        assert shot.is_file()
        engine = open_engine(sqlite_url(data / "hub.db"))
        with engine.connect() as conn:
            sent = conn.execute(select(func.count()).select_from(Position)).scalar_one()
        engine.dispose()
        assert sent >= 1
    res = subprocess.run(
        [sys.executable, "-m", "field_unit", "window", "--gps", "compass"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert res.returncode == 2 and "use sim, nmea:FILE" in res.stderr
