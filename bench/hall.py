"""``./run bench hall``: commanding from the hall, end to end, with real windows.

A real hub process; in this process, under Xvfb, two command-hall windows (each with its own
client and picture, as two halls would have), a field unit's client with the real SOS
controller, and a liaison's field window.

* ``sos_to_alarm_*`` — SOS raised on the field unit (``SosController.raise_``) → the alarm bar
  of the hall shows it (the bar's text is rewritten with it), then cancelled; ``--sos`` times;
* ``sos_to_alarm_under_load_*`` — the same while 1,000 units report at 1 Hz and 20 MB photos
  upload one after another on the same hub (other devices, in a process of their own);
* ``declare_to_board_*`` — an incident declared from hall 1 (``act(IncidentDeclare)``, the
  form's call) → its row on hall 2's incident board;
* ``dispatch_to_liaison_*`` — 下达指令 clicked on hall 1's dispatch board (the call 派遣 makes)
  → the liaison window rings for it.

Baseline in the same run: ``raw_roundtrip_p95_ms`` — one Emergency acknowledged by the hub
over a bare DEALER socket (no outbox, no picture, no window): what the path costs before
anything of ours is added.

A refusal of anything sent (by the halls, the unit, the liaison or the background devices),
or a change not shown in 20 s, ends the benchmark at once (exit status 1, the hub's code and
reason). ``--smoke``: 3 samples per figure, 50 units and 1 MB photos. Last line: a JSON
object of figures.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import common
from bench.calib import calib_loop_s
from bench.common import BenchFailure, Refusals, accepted, log, parser, refused
from bench.field import _bundle

PHOTO_BYTES = 20 * 1000 * 1000


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 1) if values else float("nan")
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


class Watch:
    """Records when a condition first holds after an event (checked when the watched
    widget redraws, so the figure is when the person would see it). A refusal of what
    ``refusals`` watch ends the wait, and the benchmark."""

    def __init__(self, refusals: Refusals, what: str) -> None:
        self.refusals = refusals
        self.what = what
        self.t0 = 0.0
        self.seen: float | None = None
        self.check: Callable[[], bool] = lambda: False

    def arm(self, check: Callable[[], bool]) -> None:
        self.check, self.seen, self.t0 = check, None, time.perf_counter()

    def poke(self) -> None:
        if self.seen is None and self.check():
            self.seen = time.perf_counter()

    async def wait(self, timeout: float = 20.0) -> float:
        await self.refusals.until(lambda: self.seen is not None, timeout, self.what, step=0.002)
        assert self.seen is not None
        return (self.seen - self.t0) * 1000


def _after(obj: Any, name: str, hook: Callable[[], None]) -> None:
    original = getattr(obj, name)

    def wrapped(*a: Any, **k: Any) -> Any:
        out = original(*a, **k)
        hook()
        return out

    setattr(obj, name, wrapped)


async def _raw_roundtrip(bundle: dict[str, str], n: int) -> list[float]:
    import zmq

    from bench.backbone import _client_socket
    from shared.protocol import Emergency, decode_reply, encode, new_id, utcnow

    ctx = zmq.Context()
    s = _client_socket(ctx, zmq.DEALER, bundle)
    s.connect(bundle["request"])
    out = []

    def roundtrip(msg: Emergency) -> float | None:
        t0 = time.perf_counter()
        s.send(encode(msg))
        while s.poll(5000):
            reply = decode_reply(s.recv())
            if getattr(reply, "ref", None) == msg.id:
                refused(reply, "an Emergency on the bare socket")
                return (time.perf_counter() - t0) * 1000
        return None

    for _ in range(n):
        alert = new_id()
        sent = roundtrip(
            Emergency(id=new_id(), sender=bundle["name"], sent=utcnow(), alert_id=alert)
        )
        if sent is not None:
            out.append(sent)
        # withdrawn again, so the halls measured next start with a clear bar
        roundtrip(
            Emergency(
                id=new_id(), sender=bundle["name"], sent=utcnow(), alert_id=alert, active=False
            )
        )
        await asyncio.sleep(0.02)
    s.close(0)
    ctx.term()
    return out


async def _load(client: Any, units: int, stop: asyncio.Event) -> None:
    """``units`` units reporting once a second each."""
    from shared.protocol import PositionReport, utcnow

    while not stop.is_set():
        t0 = time.monotonic()
        now = utcnow()
        await client.submit(
            *[
                client.make(
                    PositionReport,
                    unit_id=f"LOAD-{i:04d}",
                    lat=37.5 + (i % 100) / 200,
                    lon=115.5 + (i // 100) / 20,
                    fix_time=now,
                )
                for i in range(units)
            ]
        )
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))


async def _uploads(client: Any, stop: asyncio.Event, done: list[int], size: int) -> None:
    """A photo of ``size`` bytes, again and again, until told to stop.

    Raises:
        BenchFailure: the hub refused a chunk.
    """
    import os

    from shared.client import UploadError, upload

    photo = bytearray(os.urandom(size))
    while not stop.is_set():
        photo[:8] = len(done).to_bytes(8, "big")  # a new photo each time (the hub dedupes)
        try:
            await upload(
                client, bytes(photo), name="scene.jpg", media_type="image/jpeg", timeout=300
            )
        except UploadError as exc:
            raise BenchFailure(f"a photo upload refused by the hub: {exc}") from None
        done.append(1)


@common.child
def _background(
    load: Any, uploader: Any, root: str, units: int, photo_bytes: int, out: Any, stop: Any
) -> None:
    """The other devices' traffic, in a process of its own (as on other machines): the
    units reporting at 1 Hz and photos uploading until ``stop`` is set. A refusal ends it."""
    from shared.client import HubClient

    async def run() -> None:
        async with (
            HubClient(load, Path(root) / "load.db", window=5000) as lc,
            HubClient(uploader, Path(root) / "upload.db") as uc,
        ):
            refusals = Refusals(lc, uc)
            await lc.wait_online(20)
            await uc.wait_online(20)
            done = asyncio.Event()
            uploaded: list[int] = []
            tasks = [
                asyncio.ensure_future(_load(lc, units, done)),
                asyncio.ensure_future(_uploads(uc, done, uploaded, photo_bytes)),
            ]
            out.put("running")
            while not stop.is_set():
                refusals.check()
                for t in tasks:
                    if t.done() and (exc := t.exception()) is not None:
                        raise exc  # an upload refused (BenchFailure), or worse
                await asyncio.sleep(0.1)
            done.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            refusals.check()
            out.put(len(uploaded))

    asyncio.run(run())


async def _scenario(
    root: Path, n: int, units: int, photo_bytes: int = PHOTO_BYTES, settle_s: float = 3.0
) -> dict[str, Any]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from bench.backbone import HubUnderTest
    from command_center.app.qt_main_window import QtMainWindow
    from field_unit.app.qt_field_window import QtFieldWindow
    from shared.client import HubClient, Replica, SituationPicture, act, issue_order
    from shared.field.session import FieldSession
    from shared.field.sos import SosController
    from shared.protocol import EmergencyAck, IncidentDeclare

    refusals = Refusals()
    hub = HubUnderTest(root)
    hub.start()
    out: dict[str, Any] = {}
    try:
        raw = {name: hub.bundle(name, role) for name, role in (("raw", "field"),)}
        b = {
            name: _bundle(hub, name, role)
            for name, role in (
                ("hall-1", "leader"),
                ("hall-2", "leader"),
                ("fire-7", "field"),
                ("load-1", "field"),
                ("upload-1", "field"),
                ("liaison-fire", "liaison"),
            )
        }
        out["raw_roundtrip_p95_ms"] = pct(await _raw_roundtrip(raw["raw"], n), 95)
        halls = []
        for name in ("hall-1", "hall-2"):
            picture = SituationPicture()
            client = refusals.watch(HubClient(b[name], root / f"{name}.db"))  # type: ignore[arg-type]
            replica = Replica(b[name])  # type: ignore[arg-type]
            replica.listeners.append(picture.on_update)
            await client.start()
            await replica.start()

            async def issue(to: str, text: str, inc: str | None, c: Any = client) -> str | None:
                return (await issue_order(c, to, text, inc))[1]

            async def ack(alert_id: str, c: Any = client) -> str | None:
                return await act(c, EmergencyAck, alert_id=alert_id)

            window = QtMainWindow(
                picture, replica, use_map=False, issue_order=issue, ack_emergency=ack
            )
            window.resize(1920, 1080)
            window.show()
            halls.append((client, replica, picture, window))
        field = refusals.watch(HubClient(b["fire-7"], root / "fire-7.db"))  # type: ignore[arg-type]
        await field.start()
        sos = SosController(field, callsign="消防七中队")
        session = FieldSession(b["liaison-fire"], root / "desk")
        refusals.watch(session.client)
        await session.start()
        desk = QtFieldWindow(session)
        desk.show()
        await halls[0][0].wait_online(20)
        await field.wait_online(20)
        await asyncio.sleep(1.0)  # the snapshots are in

        bar = halls[0][3].alarms
        shown = Watch(refusals, "the SOS on the alarm bar, or gone from it")
        _after(bar, "refresh", shown.poke)

        async def sos_round() -> list[float]:
            lat = []
            for _ in range(n):
                shown.arm(lambda: "消防七中队" in bar.label.text())
                await sos.raise_("sos")
                lat.append(await shown.wait())
                shown.arm(lambda: "消防七中队" not in bar.label.text())
                await sos.cancel()
                await shown.wait()
                await asyncio.sleep(0.15)  # samples spread over the load's one-second cycle
            return lat

        log(f"SOS → alarm bar, {n} times, quiet hub")
        quiet = await sos_round()
        out["sos_to_alarm_p50_ms"] = pct(quiet, 50)
        out["sos_to_alarm_p95_ms"] = pct(quiet, 95)

        log(f"the same with {units} units at 1 Hz and {photo_bytes / 1e6:g} MB photos uploading")
        import multiprocessing as mp

        spawn = mp.get_context("spawn")
        q, stop = spawn.Queue(), spawn.Event()
        proc = spawn.Process(
            target=_background,
            args=(b["load-1"], b["upload-1"], str(root), units, photo_bytes, q, stop),
        )
        proc.start()
        refusals.children.append(proc)  # its refusals end the benchmark as ours do

        async def background(what: str) -> Any:
            """The background process's next word (its failure ends the benchmark)."""
            while q.empty() and proc.exitcode is None:
                await asyncio.sleep(0.05)
            return common.get(q, [proc], 5, what)

        assert await background("the background load started") == "running"
        await asyncio.sleep(settle_s)  # the load is on before the measuring starts
        loaded = await sos_round()
        out["sos_to_alarm_under_load_p50_ms"] = pct(loaded, 50)
        out["sos_to_alarm_under_load_p95_ms"] = pct(loaded, 95)
        out["units_seen_by_hall"] = sum(1 for k in halls[0][2].units if k.startswith("LOAD-"))
        stop.set()
        out["uploads_done_during_load"] = await background("the background load's uploads")
        common.join([proc], 30, "the background load")
        refusals.children.remove(proc)

        log(f"declare in hall 1 → row on hall 2's board, {n} times")
        board = halls[1][3].incidents
        on_board = Watch(refusals, "the declared incident on hall 2's board")
        _after(board, "refresh", on_board.poke)
        declared = []
        for i in range(n):
            incident_id = f"BENCH-{i:03d}"
            on_board.arm(lambda i=incident_id: i in board.shown)
            client = halls[0][0]
            declare = client.make(
                IncidentDeclare,
                incident_id=incident_id,
                title=f"基准测试事件 {i}",
                lat=37.74,
                lon=115.67,
                type_code="fire",
            )
            accepted(await client.submit_and_wait(declare, 10), f"declaring {incident_id}")
            declared.append(await on_board.wait())
        out["declare_to_board_p50_ms"] = pct(declared, 50)
        out["declare_to_board_p95_ms"] = pct(declared, 95)

        log(f"下达指令 clicked in hall 1 → the liaison window rings, {n} times")
        dispatch = halls[0][3].dispatch
        halls[0][3].tabs.setCurrentWidget(dispatch)
        rings = Watch(refusals, "the order ringing in the liaison window")
        _after(desk, "_notify", rings.poke)
        rung = []
        for i in range(n):
            before = set(desk._notified)
            rings.arm(lambda before=before: len(desk._notified) > len(before))
            # the previous order's answer is in
            await refusals.until(dispatch.send.isEnabled, 20, "the dispatch board ready")
            dispatch.recipient.setCurrentText("liaison-fire")
            dispatch.text.setText(f"基准测试指令 {i}")
            rings.t0 = time.perf_counter()
            QTest.mouseClick(dispatch.send, Qt.MouseButton.LeftButton)
            rung.append(await rings.wait())
        out["dispatch_to_liaison_p50_ms"] = pct(rung, 50)
        out["dispatch_to_liaison_p95_ms"] = pct(rung, 95)

        desk.close()
        await session.aclose()
        await field.aclose()
        for client, replica, _picture, window in halls:
            window.close()
            await replica.aclose()
            await client.aclose()
    finally:
        hub.stop()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = parser("hall")
    ap.add_argument("--sos", type=int, default=30, help="samples per figure")
    ap.add_argument("--units", type=int, default=1000)
    args = ap.parse_args(argv)
    if args.smoke:
        args.sos, args.units = 3, 50
    common.run(lambda: _main(args))


def _main(args: Any) -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the windows close before the figures are printed
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    calib = calib_loop_s()
    with tempfile.TemporaryDirectory() as tmp, loop:
        size, settle = (1000 * 1000, 1.0) if args.smoke else (PHOTO_BYTES, 3.0)
        out = loop.run_until_complete(_scenario(Path(tmp), args.sos, args.units, size, settle))
    out["samples"] = args.sos
    out["units"] = args.units
    out["calib_loop_s"] = calib
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
