"""The field client's core against real hubs: a report with a photo made while the hub is
down arrives once it is back, exactly once; SOS repeats until the hall acknowledges and can
be cancelled; a liaison's orders survive offline on disk and its answers reach the leader;
forms are checked; man-down; gpsd."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.client import HubClient, Replica, issue_order
from shared.field import FieldError, FieldSession, FormProblem, ManDownWatch
from shared.gps import Fix, read_gpsd
from shared.identity import load_bundle
from shared.protocol import EmergencyAck, IncidentDeclare
from shared.store import open_engine, sqlite_url
from shared.store.models import Attachment, Position, Report
from tests.support import HubProcess, free_ports, until

PHOTO = hashlib.shake_256(b"dike").digest(900_000)


async def test_a_report_with_a_photo_made_while_the_hub_is_down_arrives_once(
    tmp_path: Path,
) -> None:
    data = tmp_path / "hub"
    data.mkdir()
    hub = HubProcess(data)
    hub.start()
    try:
        for name, role in (("team-07", "field"), ("duty-1", "duty-officer")):
            assert (
                hub.cli(
                    "enroll", "--name", name, "--role", role, "--out", str(data / f"{name}.json")
                ).returncode
                == 0
            )
        duty = load_bundle(data / "duty-1.json")
        async with HubClient(duty, tmp_path / "d.db") as dc:
            await dc.wait_online(10)
            declare = dc.make(
                IncidentDeclare,
                incident_id="DK-1",
                title="滏阳河堤防管涌",
                lat=37.6,
                lon=115.6,
                type_code="flood",
            )
            assert await dc.submit_and_wait(declare, 10) is None
        session = FieldSession(load_bundle(data / "team-07.json"), tmp_path / "field")
        await session.start()
        # the session has the incident's type (the flood form)
        await until(lambda: "DK-1" in session.incidents, 10, what="the incident at the unit")
        hub.stop()
        await until(lambda: session.client.state.value != "online", 10)
        photo = tmp_path / "管涌.jpg"
        photo.write_bytes(PHOTO)
        with pytest.raises(FormProblem) as missing:
            await session.send_report("DK-1", "initial", "堤防管涌", {"where": "东岸3公里"})
        assert missing.value.problems == ["初报必须填写：积水深度（米）"]
        report_id = await session.send_report(
            "DK-1",
            "initial",
            "堤防管涌",
            {"where": "东岸3公里", "depth": "0.4"},
            injured=1,
            files=[photo],
        )
        assert session.sync().queued >= 2  # the photo's chunks and the report, waiting
        hub.start()
        await until(lambda: session.client.queued() == 0, 30)
        await session.aclose()
    finally:
        hub.stop()
    engine = open_engine(sqlite_url(data / "hub.db"))
    with engine.connect() as conn:
        rows = conn.execute(select(Report.msg_id, Report.text, Report.injured)).all()
        assert [(r[0], r[2]) for r in rows] == [(report_id, 1)]
        assert "受淹区域：东岸3公里" in rows[0][1] and "积水深度（米）：0.4" in rows[0][1]
        assert conn.execute(select(func.count()).select_from(Attachment)).scalar_one() == 1
    engine.dispose()
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert (data / "attachments" / digest[:2] / digest).read_bytes() == PHOTO


async def test_sos_repeats_until_the_hall_acknowledges_and_can_be_cancelled(
    hub: Any, tmp_path: Path
) -> None:
    team = hub.enroll("team-07", "field")
    duty = hub.enroll("duty-1", "duty-officer")
    session = FieldSession(team, tmp_path / "field", sos_repeat_s=0.3)
    await session.start()
    try:
        async with HubClient(duty, tmp_path / "d.db") as dc, Replica(duty) as hall:
            await dc.wait_online(10)
            await session.client.wait_online(10)
            await session.on_fix(Fix(37.7, 115.7, datetime.now(UTC)))
            alert = await session.sos.raise_()
            await until(lambda: getattr(hall.get("emergency", alert), "repeats", 0) >= 2, 10)
            state = hall.get("emergency", alert)
            assert (state.device, state.kind, state.lat) == ("team-07", "sos", 37.7)
            assert (
                await dc.submit_and_wait(
                    dc.make(EmergencyAck, alert_id=alert, note="已派出救援"), 10
                )
                is None
            )
            await until(lambda: session.sos.acknowledged_by == "duty-1", 10)
            task = session.sos._task
            assert task is not None
            await until(task.done, 5, what="the repeats stopped")
            sent = session.sos.sent
            # no more repeats once acknowledged: the repeating task has ended, so nothing
            # can send again (its period is sos_repeat_s; waiting it out proves less)
            assert session.sos.sent == sent
            await session.sos.cancel()
            await until(lambda: hall.get("emergency", alert) is None, 10)
    finally:
        await session.aclose()


async def test_a_liaison_keeps_its_orders_offline_and_answers_reach_the_leader(
    hub: Any, tmp_path: Path
) -> None:
    liaison = hub.enroll("liaison-water", "liaison")
    leader = hub.enroll("leader-1", "leader")
    session = FieldSession(liaison, tmp_path / "desk")
    assert session.profile == "liaison"
    await session.start()
    try:
        async with HubClient(leader, tmp_path / "l.db") as lc, Replica(leader) as lr:
            await lc.wait_online(10)
            order_id, refusal = await issue_order(lc, "liaison-water", "开启3号闸门泄洪")
            assert refusal is None
            await until(lambda: order_id in session.orders.orders, 10)
            assert session.orders.ringing() and session.orders.new == [order_id]
            with pytest.raises(FieldError, match="必须说明理由"):
                await session.answer(order_id, "declined")
            await session.answer(order_id, "acknowledged")
            assert session.orders.new == []
            await until(lambda: lr.get("order", order_id).state == "acknowledged", 10)
            await session.sign_in("刘工", "水务局值班")
    finally:
        await session.aclose()
    # offline: a new session (no hub reachable) still has the order from disk
    saved = json.loads((tmp_path / "desk" / "liaison-water-orders.json").read_text())
    assert saved[0]["order_id"] == order_id
    again = FieldSession(liaison, tmp_path / "desk")
    assert list(again.orders.orders) == [order_id]


def test_man_down_prealarms_then_raises_only_on_scene() -> None:
    watch = ManDownWatch(still_s=60, grace_s=20, radius_m=5)
    t0 = datetime(2026, 7, 1, 12, tzinfo=UTC)

    def at(s: float, dlat: float = 0.0) -> Fix:
        return Fix(37.7 + dlat, 115.7, t0 + timedelta(seconds=s))

    assert [watch.feed(at(s)) for s in (0, 30, 90)] == ["ok"] * 3  # not on scene
    watch.on_scene = True
    assert watch.feed(at(100)) == "ok"
    assert watch.feed(at(150)) == "ok"
    assert watch.feed(at(165)) == "prealarm"
    watch.answered(at(170).time)  # "I'm fine"
    assert watch.feed(at(200)) == "ok"
    assert watch.feed(at(231)) == "prealarm"
    assert watch.feed(at(252)) == "man_down"
    assert watch.feed(at(260, dlat=0.001)) == "ok"  # moved 111 m: alive


async def test_positions_from_gpsd_skip_what_is_not_a_fix() -> None:
    port = free_ports(1)[0]
    lines = [
        b'{"class":"VERSION","release":"3.25"}\n',
        b"garbage\n",
        b'{"class":"TPV","mode":1}\n',
        b'{"class":"TPV","mode":3,"time":"2026-07-01T12:00:00.000Z","lat":37.74,"lon":115.67,"speed":3.5,"track":90.0}\n',
        b'{"class":"TPV","mode":2,"lat":137.74,"lon":115.67}\n',
    ]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert (await reader.readline()).startswith(b"?WATCH=")
        for line in lines:
            writer.write(line)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    fixes = []
    from shared.gps import GpsError

    with pytest.raises(GpsError, match="closed the connection"):
        async for fix in read_gpsd("127.0.0.1", port):
            fixes.append(fix)
    server.close()
    assert [(f.lat, f.lon, f.speed_mps, f.heading_deg) for f in fixes] == [
        (37.74, 115.67, 3.5, 90.0)
    ]
    with pytest.raises(GpsError, match="is gpsd running"):
        async for _ in read_gpsd("127.0.0.1", free_ports(1)[0]):
            pass


async def test_a_sketched_area_is_checked_stored_and_loaded_again(hub: Any, tmp_path: Path) -> None:
    from shared.hub.load import load_state
    from shared.hub.state import StateStore

    team = hub.enroll("team-07", "field")
    session = FieldSession(team, tmp_path / "field")
    await session.start()
    try:
        await session.client.wait_online(10)
        declare = session.client.make(
            IncidentDeclare, incident_id="A-1", title="积水", lat=37.7, lon=115.7
        )
        assert await session.client.submit_and_wait(declare, 10) is None
        bowtie = [(37.70, 115.70), (37.71, 115.71), (37.70, 115.71), (37.71, 115.70)]
        with pytest.raises(FieldError, match="标绘的范围不能用"):
            await session.send_report(
                "A-1", "initial", "积水", {"what": "a", "where": "b"}, area=bowtie
            )
        ring = [(37.70, 115.70), (37.71, 115.70), (37.71, 115.71), (37.70, 115.71)]
        rid = await session.send_report(
            "A-1", "initial", "积水", {"what": "a", "where": "b"}, area=ring
        )
        await until(lambda: session.client.queued() == 0, 10)
    finally:
        await session.aclose()
    state = StateStore()
    load_state(hub.engine, state)
    assert state.get("report", rid).area == [*ring, ring[0]]


async def test_fixes_at_the_calendars_edge_or_a_failing_receiver_never_end_reporting(
    hub: Any, tmp_path: Path
) -> None:
    """A receiver's time at the calendar's end is replaced by the device's clock (the hub
    takes the position); a fix that cannot be used costs itself only; a reader that fails
    is said in the strip. Before, the first ended position reporting and man-down silently."""
    team = hub.enroll("team-09", "field")
    session = FieldSession(team, tmp_path / "field")
    await session.start()
    try:
        await session.client.wait_online(10)
        edge = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14)))

        async def fixes() -> Any:
            yield Fix(37.70, 115.70, edge)
            yield Fix(37.71, 115.71, datetime.now(UTC), speed_mps=float("inf"))  # unusable
            yield Fix(37.72, 115.72, datetime.now(UTC) + timedelta(seconds=30))
            raise RuntimeError("serial port gone")

        await session.follow(fixes())
        assert "定位源出错" in session.gps_problem and "serial port gone" in session.gps_problem
        await until(lambda: session.client.queued() == 0, 20, what="positions acknowledged")
        with open_engine(sqlite_url(hub.data_dir / "hub.db")).connect() as conn:
            rows = conn.execute(
                select(Position.lat, Position.fix_time).where(Position.unit_id == "team-09")
            ).all()
        held = {round(lat, 2): t for lat, t in rows}
        # the edge fix is held with this device's time; the last one with its own
        assert 37.70 in held and abs(held[37.70] - datetime.now(UTC)) < timedelta(hours=1)
        assert 37.72 in held
    finally:
        await session.aclose()
