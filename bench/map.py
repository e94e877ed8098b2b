"""``./run bench map``: the command hall's live map under load, through a real hub.

A real ``command-center serve`` process holds 10,000 incidents; a sender process moves
1,000 units at 1 Hz (each fix stamped with its wall-clock send time). This process is the
hall: a Replica feeds the situation picture, the picture feeds the QtMapView (QtWebEngine
under Xvfb, the offline page), which sends batches at most every 50 ms. Measured:

* ``marker_p95_ms`` — a fix's send time → the page having applied the batch that moved its
  marker (the script call's completion), over every fix of the moving phase;
* ``naive_marker_p95_ms`` — the same with the naive variant, one script call per changed
  unit instead of one batch per 50 ms (the baseline, same run);
* ``fps`` — frames per second in the page (requestAnimationFrame) while everything moves;
* ``map_ready_s`` — the hall's start (Qt and the map imported for the first time in its
  process) → the page showing the 10,000 incidents and 1,000 units; ``page_cached`` says
  whether the built page was already in the user cache (it is after the first start);
* ``rss_mib`` — resident memory of this process plus its QtWebEngine processes.

A refusal of what the sender sends, or a page that never shows it all, ends the benchmark at
once (exit status 1, the hub's code and reason). ``--smoke``: 200 incidents, 50 units, 3 s.

Last line: {"marker_p95_ms", "fps", "map_ready_s", "rss_mib", ...}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench import common
from bench.calib import calib_loop_s
from bench.common import BenchFailure, Refusals, log, parser

UNITS = 1000
INCIDENTS = 10_000
MOVE_S = 20.0


def _bundle_from(d: dict[str, Any]) -> Any:
    from shared.identity import Bundle, KeyPair
    from shared.identity.keys import Endpoints

    return Bundle(
        d["name"],
        d["role"],
        KeyPair(d["public"], d["secret"]),
        d["hub"],
        Endpoints(d["request"], d["publish"], d["snapshot"]),
        datetime.now(UTC),
        None,
    )


@common.child
def _sender(bundle: dict[str, Any], go: Any, seconds: float, incidents: int, n_units: int) -> None:
    """Fill the hub with incidents, then move the units at 1 Hz until told to stop. A
    refusal ends it."""
    from shared.client import HubClient
    from shared.geo import county_seats
    from shared.protocol import IncidentDeclare, PositionReport
    from shared.sim import make_units

    async def run() -> None:
        b = _bundle_from(bundle)
        with tempfile.TemporaryDirectory() as tmp:
            async with HubClient(b, Path(tmp) / "s.db", window=5000) as c:
                refusals = Refusals(c)
                await c.wait_online(20)
                import random

                rng = random.Random(7)
                batch = [
                    c.make(
                        IncidentDeclare,
                        incident_id=f"I{i:05d}",
                        title=f"事件{i}",
                        lat=37.1 + rng.random() * 1.2,
                        lon=115.2 + rng.random() * 1.3,
                        level=1 + i % 4,
                    )
                    for i in range(incidents)
                ]
                await c.submit(*batch)
                units = make_units("U", n_units, seed=11)
                seats = county_seats()
                await c.submit(
                    *(
                        c.make(
                            PositionReport,
                            unit_id=u.unit_id,
                            lat=u.lat,
                            lon=u.lon,
                            fix_time=datetime.now(UTC),
                            unit_type=u.unit_type,
                            callsign=u.callsign,
                        )
                        for u in units
                    )
                )
                await refusals.until(lambda: not c.queued(), 120, "the incidents and units stored")
                go.set()  # the picture is filled: the hall may start
                await asyncio.to_thread(go.wait)
                end = time.monotonic() + seconds
                i = 0
                while time.monotonic() < end:
                    tick = time.monotonic()
                    for _slice in range(10):  # 1 Hz per unit, spread over the second
                        part = units[i % 10 :: 10]
                        i += 1
                        msgs = []
                        for u in part:
                            u.step(1.0, seats)
                            msgs.append(
                                c.make(
                                    PositionReport,
                                    unit_id=u.unit_id,
                                    lat=u.lat,
                                    lon=u.lon,
                                    fix_time=datetime.now(UTC),
                                    heading_deg=u.heading_deg,
                                    speed_mps=u.speed_mps,
                                    unit_type=u.unit_type,
                                    callsign=u.callsign,
                                )
                            )
                        await c.submit(*msgs)
                        refusals.check()
                        await asyncio.sleep(max(0.0, tick + (_slice + 1) * 0.1 - time.monotonic()))
                await refusals.until(lambda: not c.queued(), 30, "the last positions stored")

    asyncio.run(run())


def _memory_mib() -> dict[str, float]:
    """Resident memory of this process (the hall, with Chromium's browser side in it) and its
    QtWebEngine processes, MiB. ``rss_mib`` sums each process's RSS, counting the pages the
    Chromium processes share once per process; ``pss_mib`` shares them out. Other children
    of this process (the sender) are not the hall's and are left out."""
    me = psutil.Process()
    kinds: dict[str, list[psutil.Process]] = {"browser": [me], "zygote": [], "renderer": []}
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            argv = child.cmdline()
            if not argv or "QtWebEngineProcess" not in argv[0]:
                continue
            kind = next((a[7:] for a in argv if a.startswith("--type=")), "other")
            if child.ppid() != me.pid:
                kind = "renderer"  # forked by a zygote: its command line is the zygote's
            kinds.setdefault(kind.replace("-", "_"), []).append(child)
    out: dict[str, float] = {"rss_mib": 0.0, "pss_mib": 0.0}
    for kind, procs in kinds.items():
        rss = pss = 0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
        out[f"{kind}_rss_mib"] = round(rss / 2**20, 1)
        out["rss_mib"] += rss / 2**20
        out["pss_mib"] += pss / 2**20
    out["rss_mib"] = round(out["rss_mib"], 1)
    out["pss_mib"] = round(out["pss_mib"], 1)
    return out


def _hall(bundle_dict: dict[str, Any], naive: bool, units: int, incidents: int) -> dict[str, Any]:
    """Run the hall side in this process; returns its figures. Qt and the map are imported
    here, for the first time in this process: the start is cold."""
    t0 = time.time()
    import qasync

    from command_center.map.qt_map_view import QtMapView, prepare_webengine, render_choice

    prepare_webengine()
    import platformdirs
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from command_center.app.qt_main_window import FRAME_MS
    from command_center.map.page import page_key
    from shared.client import Replica, SituationPicture

    cache = Path(platformdirs.user_cache_dir("hengshui-command-hall"))
    page_cached = (cache / f"map-{page_key(None, None, 9)}.html").is_file()
    app = QApplication.instance() or QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    picture = SituationPicture()
    bundle = _bundle_from(bundle_dict)
    replica = Replica(bundle, topics=("unit", "incident"))
    replica.listeners.append(picture.on_update)
    view = QtMapView(picture)
    view.resize(1920, 1080)
    view.show()
    latencies: list[float] = []
    measuring = {"on": False}

    def applied(keys: list[str]) -> None:
        if not measuring["on"]:
            return
        now = datetime.now(UTC)
        for key in keys:
            unit = picture.units.get(key)
            if unit is not None:
                latencies.append((now - unit.fix_time).total_seconds() * 1000)

    view.on_applied.append(applied)

    def tick() -> None:
        changes = picture.take_changes()
        if not changes:
            return
        if naive:  # one script call per changed unit: what batching saves
            for key in changes.units:
                one = type(changes)(units={key})
                view.apply(one)
                view.flush()
            view.apply(type(changes)(incidents=changes.incidents))
        else:
            view.apply(changes)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(FRAME_MS)  # the window's own cadence of taking picture changes
    out: dict[str, Any] = {}

    async def main() -> None:
        await replica.start()
        await asyncio.wait_for(replica.synced.wait(), 120)
        deadline = time.monotonic() + 180
        while not view.page_ready:
            if time.monotonic() > deadline:
                raise BenchFailure("the map page did not load in 180 s")
            await asyncio.sleep(0.01)
        # Ready = the page applied everything the picture holds.
        while True:
            counts = await _js(view, "JSON.stringify(hall.counts())")
            c = json.loads(counts)
            if c["units"] >= units and c["incidents"] >= incidents:
                break
            if time.monotonic() > deadline:
                raise BenchFailure(f"the map shows {c} of {units} units, {incidents} incidents")
            await asyncio.sleep(0.05)
        out["map_ready_s"] = round(time.time() - t0, 2)
        out["page_cached"] = page_cached
        out["render"] = (render_choice() or ("unknown", ""))[0]
        out["go"] = True

    loop.run_until_complete(main())
    return {
        "app": app,
        "loop": loop,
        "view": view,
        "replica": replica,
        "out": out,
        "latencies": latencies,
        "measuring": measuring,
        "timer": timer,
    }


async def _js(view: Any, script: str) -> Any:
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    view.page().runJavaScript(script, 0, lambda r: fut.done() or fut.set_result(r))
    return await fut


def _phase(hub: Any, naive: bool, size: tuple[int, int, float]) -> dict[str, Any]:
    """One run of the moving phase with a fresh sender; in a child process so the cold start
    is cold and the two variants do not share a browser. ``size``: units, incidents and
    seconds of moving."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_phase_child, args=(hub.bundle_dicts, naive, size, q))
    p.start()
    result = common.get(q, [p], 600, "the hall's figures")
    common.join([p], 60, "the hall")
    return result  # type: ignore[no-any-return]


@common.child
def _phase_child(
    bundles: dict[str, Any], naive: bool, size: tuple[int, int, float], q: Any
) -> None:
    units, incidents, seconds = size
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    sender = ctx.Process(target=_sender, args=(bundles["sim"], go, seconds, incidents, units))
    sender.start()
    common.wait_event(go, [sender], 300, "the hub filled")  # incidents and units held
    go.clear()
    hall = _hall(bundles["hall"], naive, units, incidents)
    loop, view, out = hall["loop"], hall["view"], hall["out"]
    fps: list[float] = []

    async def move() -> None:
        hall["measuring"]["on"] = True
        await _js(view, f"hall.startFps({seconds + 5})")
        go.set()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(min(2.0, seconds))
            fps.append(float(await _js(view, "hall.fps()")))
            if sender.exitcode:
                raise BenchFailure(f"the sender ended with exit status {sender.exitcode}")
        hall["measuring"]["on"] = False
        out.update(_memory_mib())
        heap = await _js(view, "performance.memory ? performance.memory.usedJSHeapSize : -1")
        out["js_heap_mib"] = round(float(heap) / 2**20, 1)
        await hall["replica"].aclose()

    loop.run_until_complete(move())
    common.join([sender], 120, "the sender")
    lat = hall["latencies"]
    if not lat:
        raise BenchFailure(f"no marker moved on the map in {seconds:g} s")
    out["samples"] = len(lat)
    out["p50"] = round(statistics.median(lat), 1) if lat else None
    out["p95"] = round(statistics.quantiles(lat, n=100, method="inclusive")[94], 1) if lat else None
    out["fps"] = round(statistics.median(fps[1:] or fps), 1) if fps else None
    out["batches"] = view.batches_sent
    q.put(out)
    q.close()
    q.join_thread()  # the result is written before the hard exit below
    os._exit(0)  # skip Qt's teardown at exit (PySide6 and the GC disagree on the order)


class _Hub:
    def __init__(self, root: Path) -> None:
        from bench.backbone import HubUnderTest

        self.inner = HubUnderTest(root)
        self.bundle_dicts: dict[str, Any] = {}

    def start(self) -> None:
        self.inner.start()
        self.bundle_dicts = {
            "sim": {**self.inner.bundle("sim", role="duty-officer"), "role": "duty-officer"},
            "hall": {**self.inner.bundle("hall", role="leader"), "role": "leader"},
        }

    def stop(self) -> None:
        self.inner.stop()


def main(argv: list[str] | None = None) -> None:
    args = parser("map").parse_args(argv)
    common.run(lambda: _main((50, 200, 3.0) if args.smoke else (UNITS, INCIDENTS, MOVE_S)))


def _main(size: tuple[int, int, float]) -> None:
    units, incidents, seconds = size
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for naive in (False, True):
            root = Path(tmp) / ("naive" if naive else "batched")
            root.mkdir()
            hub = _Hub(root)
            hub.start()
            try:
                label = "naive (one call per unit)" if naive else "batched (one call per 50 ms)"
                log(f"{label}: {incidents} incidents, {units} units at 1 Hz for {seconds:g} s")
                r = _phase(hub, naive, size)
            finally:
                hub.stop()
            log(f"    p50 {r['p50']} ms, p95 {r['p95']} ms, {r['fps']} fps, {r['samples']} fixes")
            if naive:
                results["naive_marker_p95_ms"] = r["p95"]
                results["naive_fps"] = r["fps"]
                results["naive_samples"] = r["samples"]
            else:
                results.update(
                    marker_p95_ms=r["p95"],
                    fps=r["fps"],
                    map_ready_s=r["map_ready_s"],
                    page_cached=r["page_cached"],
                    render=r["render"],
                    **{k: v for k, v in r.items() if k.endswith("_mib")},
                    marker_p50_ms=r["p50"],
                    samples=r["samples"],
                    batches=r["batches"],
                )
    results.update(
        units=units,
        incidents=incidents,
        move_s=seconds,
        cores=os.cpu_count(),
        calib_loop_s=calib_loop_s(),
    )
    order = ["marker_p95_ms", "fps", "map_ready_s", "rss_mib"]
    print(
        json.dumps(
            {
                **{k: results[k] for k in order},
                **{k: v for k, v in results.items() if k not in order},
            }
        )
    )


if __name__ == "__main__":
    main()
