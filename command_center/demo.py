"""``./run demo``: a hub, simulated units moving around Hengshui, and the command-hall window.

Everything lives in a per-user data folder (``--data-dir`` to change it); a second run reuses
the hub's store, keys and bundles. With no display the window runs under Xvfb, a screenshot
is taken after a few seconds and its path printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared.config import default_data_dir
from shared.identity import Endpoints, load_bundle

PY = sys.executable


def say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def _endpoints(data: Path) -> Endpoints:
    ep = json.loads((data / "hub.json").read_text("utf-8"))["endpoints"]
    return Endpoints(ep["request"], ep["publish"], ep["snapshot"])


def _bundle(data: Path, name: str, role: str) -> Path:
    """Enrol once; afterwards point the existing bundle at this run's hub endpoints."""
    path = data / "bundles" / f"{name}.json"
    if path.exists():
        bundle = load_bundle(path)
        bundle.with_endpoints(_endpoints(data)).save(path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PY,
            "-m",
            "command_center",
            "enroll",
            "--data-dir",
            str(data),
            "--name",
            name,
            "--role",
            role,
            "--out",
            str(path),
        ],
        check=True,
    )
    return path


DRILL_INCIDENTS: list[dict[str, object]] = [
    # Exercise incidents, marked 演练 end to end by their exercise flag (every screen and
    # relay shows it; not in the title). The hub grades them from type and facts.
    dict(
        incident_id="DRILL-001", title="滏阳河冀州段水位超警戒", lat=37.57, lon=115.60,
        level=3, division="131103", type_code="flood.river", evacuated=1200,
    ),
    dict(
        incident_id="DRILL-002", title="大广高速衡水段团雾多车相撞", lat=37.80, lon=115.78,
        level=3, division="131102", type_code="road_traffic", dead=3, seriously_injured=12,
        trapped=5,
    ),
    dict(
        incident_id="DRILL-003", title="枣强县化工园区氨气泄漏", lat=37.50, lon=115.75,
        level=2, division="131121", type_code="hazchem.leak", seriously_injured=52,
        evacuated=8000,
    ),
]  # fmt: skip


def declare_drill_incidents(hall: Path, data: Path) -> None:
    """Declare the demo's exercise incidents from the hall (idempotent: updates them)."""
    import asyncio

    from shared.client import HubClient
    from shared.protocol import IncidentDeclare

    async def run() -> None:
        async with HubClient(load_bundle(hall), data / "hall-outbox.db", exercise=True) as c:
            await c.wait_online(10)
            await c.submit(
                *(
                    c.make(IncidentDeclare, **incident, status="responding")
                    for incident in DRILL_INCIDENTS
                )
            )
            await c.drain(10)

    asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    """Run the demo."""
    ap = argparse.ArgumentParser(prog="./run demo")
    ap.add_argument("--data-dir", type=Path, default=default_data_dir() / "demo")
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=0.0, help="close after this long")
    ap.add_argument("--screenshot", type=Path, help="save a screenshot of the window")
    args = ap.parse_args(argv)
    # Killed (a test's timeout, a service manager): the hub and the simulator it started are
    # stopped by the cleanup below instead of running on as orphans.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            say("no display and no xvfb-run: run ./run setup first (installs xvfb)")
            return 1
        shot = args.screenshot or args.data_dir / "screenshots" / "command-hall.png"
        say("no display: running the window under Xvfb; a screenshot will be taken")
        cmd = [
            xvfb,
            "-a",
            "-s",
            "-screen 0 1920x1080x24",
            PY,
            "-m",
            "command_center.demo",
            "--data-dir",
            str(args.data_dir),
            "--units",
            str(args.units),
            "--seconds",
            str(args.seconds or 12),
            "--screenshot",
            str(shot),
        ]
        return subprocess.call(cmd)

    data: Path = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    say(f"data folder: {data}")
    hub = subprocess.Popen(
        [PY, "-m", "command_center", "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=open(data / "hub-stderr.log", "ab"),  # noqa: SIM115
    )
    procs = [hub]
    try:
        deadline = time.monotonic() + 30
        while (
            not (data / "hub.json").exists()
            or json.loads((data / "hub.json").read_text("utf-8")).get("pid") != hub.pid
        ):
            if hub.poll() is not None or time.monotonic() > deadline:
                say(f"the hub did not start; see {data / 'hub-stderr.log'}")
                return 1
            time.sleep(0.05)
        say(f"hub ready at {_endpoints(data).request}")
        hall = _bundle(data, "demo-hall", "leader")
        sim = _bundle(data, "demo-sim", "field")
        say(f"starting {args.units} simulated units moving around Hengshui")
        procs.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "field_unit",
                    "sim",
                    "--bundle",
                    str(sim),
                    "--units",
                    str(args.units),
                    "--rate",
                    "1",
                    "--report-probability",
                    "0",  # positions only: the board shows the three drill incidents
                    "--duration",
                    "86400",
                    "--outbox",
                    str(data / "sim-outbox.db"),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        say("declaring three drill (演练) incidents")
        declare_drill_incidents(hall, data)
        say("opening the command-hall window")
        cmd = [PY, "-m", "command_center", "window", "--bundle", str(hall)]
        if args.seconds:
            # the screenshot shows every unit: on a slow machine that takes longer than asked
            cmd += ["--seconds", str(args.seconds), "--expect-units", str(args.units)]
        if args.screenshot:
            cmd += ["--screenshot", str(args.screenshot)]
        return subprocess.call(cmd)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
