"""The hub over real CURVE sockets: acks, idempotency, roles, audit, snapshots, presence."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import func, select

from shared.client import HubClient, OrderInbox, Replica
from shared.domain import DeadlineEngine
from shared.hub.load import load_state
from shared.hub.state import StateStore
from shared.protocol import (
    Ack,
    AckBatch,
    DispatchOrder,
    Error,
    IncidentClose,
    IncidentDeclare,
    IncidentState,
    IncidentTransition,
    IncidentUpdate,
    LevelOverride,
    OrderStatus,
    OrderUpdate,
    Ping,
    PositionReport,
    SituationReport,
    decode_reply,
    encode,
    utcnow,
)
from shared.store.models import (
    AuditEntry,
    IncidentTransitionRow,
    OrderEvent,
    Position,
    Report,
)
from tests.conftest import HubHandle
from tests.support import DEADLINE_SCALE, RawPeer, declare, until


def _pos(c: HubClient, unit: str, i: int = 0) -> PositionReport:
    return c.make(PositionReport, unit_id=unit, lat=37.7 + i * 1e-5, lon=115.6, fix_time=utcnow())


async def test_acks_follow_commit_and_resends_are_idempotent(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    bundle = any_hub.enroll("fire-01", "field")
    async with HubClient(bundle, tmp_path / "ob.db") as c:
        await c.wait_online(10)
        await declare(c, "I-1")
        msgs = [_pos(c, f"FIRE-{i % 7}", i) for i in range(300)]
        reports = [
            c.make(SituationReport, incident_id="I-1", stage="initial", title=f"初报 {i}")
            for i in range(5)
        ]
        await c.submit(*msgs, *reports)
        assert await c.drain(20)
        held = await c.query_inbox([m.id for m in (*msgs, *reports)])
    assert held == {m.id: 1 for m in (*msgs, *reports)}
    # A resend of a held id: the same acknowledgement, no second row.
    peer = RawPeer(bundle)
    try:
        peer.send(encode(reports[0]))
        reply = decode_reply(peer.recv() or b"")
        assert isinstance(reply, Ack)
        assert (reply.ref, reply.status) == (reports[0].id, "duplicate")
    finally:
        peer.close()
    with any_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Report)).scalar() == 5
        assert conn.execute(select(func.count()).select_from(Position)).scalar() == 300


async def _one(c: HubClient, msg: object) -> object:
    errors: list[Error] = []
    acks: list[str] = []
    c.on_error.append(errors.append)
    c.on_ack.append(lambda ref, status, lat: acks.append(ref))
    await c.submit(msg)  # type: ignore[arg-type]
    for _ in range(200):
        if errors or acks:
            break
        await asyncio.sleep(0.02)
    c.on_error.clear()
    c.on_ack.clear()
    return errors[0] if errors else acks[0]


async def test_roles_are_enforced_and_every_refusal_audited(hub: HubHandle, tmp_path: Path) -> None:
    leader = hub.enroll("leader-1", "leader")
    field = hub.enroll("fire-01", "field")
    liaison = hub.enroll("police-liaison", "liaison")
    other = hub.enroll("health-liaison", "liaison")
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(field, tmp_path / "f.db") as fc,
        HubClient(liaison, tmp_path / "p.db") as pc,
        HubClient(other, tmp_path / "h.db") as hc,
    ):
        for c in (lc, fc, pc, hc):
            await c.wait_online(10)
        declare = fc.make(
            IncidentDeclare, incident_id="I-1", title="化工厂泄漏", lat=37.7, lon=115.7
        )
        assert isinstance(await _one(fc, declare), str)

        bad_order = pc.make(DispatchOrder, order_id="O-x", recipient="fire-01", text="go")
        err = await _one(pc, bad_order)
        assert isinstance(err, Error) and err.code == "forbidden"
        assert "liaison" in err.detail and "leader" in err.detail

        bad_close = fc.make(IncidentClose, incident_id="I-1", reason="done")
        err = await _one(fc, bad_close)
        assert isinstance(err, Error) and err.code == "forbidden"

        order = lc.make(DispatchOrder, order_id="O-1", recipient="police-liaison", text="封路")
        assert isinstance(await _one(lc, order), str)
        not_mine = hc.make(OrderUpdate, order_id="O-1", state="acknowledged")
        err = await _one(hc, not_mine)
        assert isinstance(err, Error) and err.code == "forbidden"
        for state in ("delivered", "acknowledged"):
            mine = pc.make(OrderUpdate, order_id="O-1", state=state)  # type: ignore[arg-type]
            assert isinstance(await _one(pc, mine), str)
        cancel = pc.make(OrderUpdate, order_id="O-1", state="cancelled", note="x")
        err = await _one(pc, cancel)
        assert isinstance(err, Error) and "only a leader or duty officer" in err.detail
        nobody = lc.make(DispatchOrder, order_id="O-2", recipient="ghost", text="去")
        err = await _one(lc, nobody)
        assert isinstance(err, Error) and "no enrolled device named 'ghost'" in err.detail

        close = lc.make(IncidentClose, incident_id="I-1", reason="处置完毕")
        assert isinstance(await _one(lc, close), str)
        again = lc.make(IncidentClose, incident_id="I-1", reason="twice")
        err = await _one(lc, again)
        assert isinstance(err, Error) and err.code == "not_found"
        # Refused messages are not kept for resending.
        assert await pc.drain(5) and await fc.drain(5)

    with hub.engine.connect() as conn:
        refused = conn.execute(
            select(AuditEntry.actor, AuditEntry.subject).where(AuditEntry.action == "refused")
        ).all()
        done = {r.action for r in conn.execute(select(AuditEntry.action)).all()}
    assert ("police-liaison", "order") in refused
    assert ("fire-01", "incident_close") in refused
    assert {"order", "order_update", "incident", "incident_close", "enroll"} <= done


def test_sender_must_match_the_key(hub: HubHandle) -> None:
    bundle = hub.enroll("fire-01", "field")
    peer = RawPeer(bundle)
    try:
        spoof = Ping(id="01X", sender="leader-1", sent=utcnow())
        peer.send(encode(spoof))
        reply = decode_reply(peer.recv() or b"")
        assert isinstance(reply, Error) and reply.code == "sender_mismatch"
    finally:
        peer.close()


async def test_late_joiner_gets_the_picture_then_live_updates(
    hub: HubHandle, tmp_path: Path
) -> None:
    leader = hub.enroll("duty-1", "duty-officer")
    async with HubClient(leader, tmp_path / "d.db", window=5000) as c:
        await c.wait_online(10)
        units = [_pos(c, f"U{i:04d}") for i in range(1000)]
        incidents = [
            c.make(IncidentDeclare, incident_id=f"I{i:05d}", title=f"事件{i}", lat=37.5, lon=115.5)
            for i in range(10_000)
        ]
        await c.submit(*units, *incidents)
        assert await c.drain(120 * DEADLINE_SCALE)  # a hang guard, scaled like until()
        t0 = time.perf_counter()
        async with Replica(leader) as r:
            await asyncio.wait_for(r.synced.wait(), 30)
            elapsed = time.perf_counter() - t0
            assert len(r.items["unit"]) == 1000
            assert len(r.items["incident"]) == 10_000
            moved = c.make(PositionReport, unit_id="U0007", lat=38.0, lon=116.0, fix_time=utcnow())
            await c.submit(moved)
            for _ in range(100):
                if r.get("unit", "U0007").lat == 38.0:
                    break
                await asyncio.sleep(0.02)
            assert r.get("unit", "U0007").lat == 38.0
            assert r.snapshots == 1
    print(f"late joiner synced 11,000 items in {elapsed * 1000:.0f} ms")


async def test_a_gap_in_sequence_triggers_a_new_snapshot(hub: HubHandle, tmp_path: Path) -> None:
    bundle = hub.enroll("fire-01", "field")
    async with HubClient(bundle, tmp_path / "f.db") as c, Replica(bundle) as r:
        await c.wait_online(10)
        await asyncio.wait_for(r.synced.wait(), 10)
        await c.submit(_pos(c, "A"))
        assert await c.drain(5)
        for _ in range(100):
            if r.get("unit", "A"):
                break
            await asyncio.sleep(0.02)
        assert r.snapshots == 1
        # Lose three updates on the way (as a slow subscriber past its high-water mark would).
        hub.hub.state.topics["unit"].seq += 3
        await c.submit(_pos(c, "B"))
        for _ in range(200):
            if r.snapshots >= 2 and r.get("unit", "B"):
                break
            await asyncio.sleep(0.02)
        assert r.snapshots >= 2
        assert r.get("unit", "B") is not None
        assert r.seqs["unit"] == hub.hub.state.topics["unit"].seq


async def test_presence_goes_online_then_offline(hub: HubHandle, tmp_path: Path) -> None:
    watcher = hub.enroll("duty-1", "duty-officer")
    unit = hub.enroll("fire-01", "field")
    async with Replica(watcher, topics=("presence",)) as r:
        await asyncio.wait_for(r.synced.wait(), 10)
        # a newly enrolled device shows up on the hub's next tick
        await until(lambda: r.get("presence", "fire-01") is not None, 30, what="presence")
        assert r.get("presence", "fire-01").status == "offline"
        c = HubClient(unit, tmp_path / "f.db")
        await c.start()
        await c.wait_online(30)
        await until(lambda: r.get("presence", "fire-01").status == "online", 30, what="online")
        seen: list[str] = []

        def watch() -> bool:
            status = r.get("presence", "fire-01").status
            if not seen or seen[-1] != status:
                seen.append(status)
            return status == "offline"

        await c.aclose()
        # 3 missed 1 s beats make it offline, one missed beat stale first (how soon is the
        # hub's business and a benchmark's figure; here, the order)
        await until(watch, 30, what="offline after the unit left")
    assert seen == ["online", "stale", "offline"], seen


async def test_resent_positions_and_reused_ids_are_not_stored_twice(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    bundle = any_hub.enroll("fire-01", "field")
    async with HubClient(bundle, tmp_path / "ob.db") as c:
        await c.wait_online(10)
        old = [_pos(c, f"U{i}", i) for i in range(50)]
        await c.submit(*old)
        assert await c.drain(10)
        new = [_pos(c, f"U{i}", i) for i in range(5)]
    reused = SituationReport(
        id=old[0].id,
        sender="fire-01",
        sent=utcnow(),
        incident_id="I-1",
        stage="initial",
        title="reusing a position's id",
    )
    peer = RawPeer(bundle)
    statuses: dict[str, str] = {}
    try:
        for m in (*old[:10], *new, reused):  # one burst: resends, new ones, a reused id
            peer.send(encode(m))
        while len(statuses) < 15:  # the reused id is one of the 10 resent ids
            raw = peer.recv()
            assert raw is not None, f"only {len(statuses)} answers"
            reply = decode_reply(raw)
            if isinstance(reply, Ack):
                statuses[reply.ref] = reply.status
            elif isinstance(reply, AckBatch):
                statuses.update(dict.fromkeys(reply.ok, "ok"))
                statuses.update(dict.fromkeys(reply.duplicate, "duplicate"))
    finally:
        peer.close()
    assert {m.id: statuses[m.id] for m in new} == {m.id: "ok" for m in new}
    assert {m.id: statuses[m.id] for m in old[:10]} == {m.id: "duplicate" for m in old[:10]}
    with any_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Position)).scalar() == 55
        assert conn.execute(select(func.count()).select_from(Report)).scalar() == 0


async def test_incidents_are_graded_moved_and_overridden_through_the_hub(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    duty = any_hub.enroll("duty-1", "duty-officer")
    field = any_hub.enroll("fire-01", "field")
    async with (
        HubClient(duty, tmp_path / "d.db") as dc,
        HubClient(field, tmp_path / "f.db") as fc,
        Replica(duty, topics=("incident",)) as r,
    ):
        await dc.wait_online(10)
        await fc.wait_online(10)
        await asyncio.wait_for(r.synced.wait(), 10)

        def incident() -> IncidentState:
            value = r.get("incident", "HZ-1")
            assert isinstance(value, IncidentState)
            return value

        leak = dict(
            incident_id="HZ-1",
            title="枣强县化工园区氨气泄漏",
            lat=37.50,
            lon=115.75,
            division="131121",
            type_code="hazchem.leak",
        )
        assert isinstance(await _one(fc, fc.make(IncidentDeclare, **leak, dead=3)), str)
        await until(lambda: r.get("incident", "HZ-1") is not None)
        assert (incident().level, incident().level_criteria) == (3, ["死亡 3 ≥ 3（Ⅲ级 较大）"])

        again = await _one(fc, fc.make(IncidentDeclare, **leak, dead=0))
        assert isinstance(again, Error) and again.code == "conflict"  # never replaced
        raised = fc.make(IncidentUpdate, incident_id="HZ-1", dead=10)
        assert isinstance(await _one(fc, raised), str)
        await until(lambda: incident().level == 2)
        assert incident().computed_level == 2 and incident().dead == 10
        lowered = await _one(fc, fc.make(IncidentUpdate, incident_id="HZ-1", dead=0, reason="x"))
        assert isinstance(lowered, Error) and lowered.code == "forbidden"
        assert "never lower" in lowered.detail

        bad = await _one(dc, dc.make(IncidentUpdate, incident_id="HZ-1", lat=48.85, lon=2.35))
        assert isinstance(bad, Error) and "outside China" in bad.detail
        bad = await _one(dc, dc.make(IncidentUpdate, incident_id="HZ-1", type_code="volcano"))
        assert isinstance(bad, Error) and "unknown incident type" in bad.detail

        skip = await _one(dc, dc.make(IncidentTransition, incident_id="HZ-1", to="stabilised"))
        assert isinstance(skip, Error) and "allowed: closed, verified" in skip.detail
        for to in ("verified", "responding"):
            step = dc.make(IncidentTransition, incident_id="HZ-1", to=to, note=f"step {to}")  # type: ignore[arg-type]
            ok = await _one(dc, step)
            assert isinstance(ok, str)
        await until(lambda: incident().status == "responding")

        refused = await _one(fc, fc.make(LevelOverride, incident_id="HZ-1", level=1, reason="x"))
        assert isinstance(refused, Error) and refused.code == "forbidden"
        over = dc.make(LevelOverride, incident_id="HZ-1", level=1, reason="涉及饮用水源地")
        assert isinstance(await _one(dc, over), str)
        await until(lambda: incident().level == 1)
        # New facts are regraded, but the override stays in force.
        assert isinstance(await _one(fc, fc.make(IncidentUpdate, incident_id="HZ-1", dead=12)), str)
        await until(lambda: incident().dead == 12)
        assert (incident().level, incident().computed_level) == (1, 2)
        assert incident().override_reason == "涉及饮用水源地"
        early = await _one(dc, dc.make(IncidentClose, incident_id="HZ-1", reason="done"))
        assert isinstance(early, Error) and "allowed: stabilised" in early.detail
        live = incident()
        assert live.warnings and "criteria now give level Ⅱ" in live.warnings[0], live.warnings
        assert live.status_note == "step responding"

    # The hub restarts with the same picture.
    with any_hub.engine.connect() as conn:
        steps = conn.execute(
            select(IncidentTransitionRow.from_status, IncidentTransitionRow.to_status)
        ).all()
    assert [tuple(s) for s in steps] == [("reported", "verified"), ("verified", "responding")]
    state = StateStore()
    load_state(any_hub.engine, state)
    reloaded = state.get("incident", "HZ-1")
    assert isinstance(reloaded, IncidentState)
    assert (reloaded.level, reloaded.computed_level, reloaded.dead) == (1, 2, 12)
    assert reloaded.level_criteria == ["死亡 12 ≥ 10（Ⅱ级 重大）"]
    # What the hub published is what it rebuilds: the warning and the step's note too.
    assert reloaded == live, msgspec.structs.asdict(reloaded)


class _Clock:
    """The hub's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)  # moved on by the test

    def __call__(self) -> datetime:
        return self.now


async def test_reporting_deadlines_raise_and_clear_alarms(
    hub_factory: object, tmp_path: Path
) -> None:
    clock = _Clock()
    t0 = clock.now
    hub = hub_factory(wall_clock=clock)  # type: ignore[operator]
    duty = hub.enroll("duty-1", "duty-officer")
    field = hub.enroll("fire-01", "field")
    async with (
        HubClient(field, tmp_path / "f.db") as fc,
        Replica(duty, topics=("alarm", "incident")) as r,
    ):
        await fc.wait_online(10)
        await asyncio.wait_for(r.synced.wait(), 10)
        facts = dict(
            incident_id="HZ-1", title="氨气泄漏", lat=37.5, lon=115.75, type_code="hazchem.leak"
        )
        leak = fc.make(IncidentDeclare, **facts, dead=10)
        assert isinstance(await _one(fc, leak), str)
        await until(lambda: r.get("incident", "HZ-1") is not None)

        def alarms() -> dict[str, str]:
            return {k: v.kind for k, v in r.items["alarm"].items()}

        clock.now = t0 + timedelta(minutes=21)  # phone report due at 30 min, warned 10 before
        await until(lambda: alarms() == {"HZ-1:phone_report": "due_soon"})
        clock.now = t0 + timedelta(minutes=31)
        await until(lambda: alarms() == {"HZ-1:phone_report": "overdue"})
        initial = fc.make(SituationReport, incident_id="HZ-1", stage="initial", title="初报")
        assert isinstance(await _one(fc, initial), str)
        await until(lambda: alarms() == {})  # the 初报 settles the phone and written reports
        clock.now = t0 + timedelta(minutes=111)  # level Ⅱ: the province by 120 min
        await until(lambda: alarms() == {"HZ-1:to_province": "due_soon"})
        alarm = r.get("alarm", "HZ-1:to_province")
        assert alarm.due == t0 + timedelta(minutes=120) and alarm.name == "报送省级"
        # Casualties change: a 续报 becomes due; filing one settles it.
        more = fc.make(IncidentUpdate, incident_id="HZ-1", dead=12)
        assert isinstance(await _one(fc, more), str)
        clock.now = t0 + timedelta(minutes=111 + 55)
        await until(lambda: any(k.startswith("HZ-1:supplement@") for k in alarms()))
        follow = fc.make(SituationReport, incident_id="HZ-1", stage="follow_up", title="续报")
        assert isinstance(await _one(fc, follow), str)
        await until(lambda: not any(k.startswith("HZ-1:supplement@") for k in alarms()))


async def test_deadline_clocks_are_rebuilt_from_the_store(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    field = any_hub.enroll("fire-01", "field")
    async with HubClient(field, tmp_path / "f.db") as fc:
        await fc.wait_online(10)
        for incident_id in ("A", "B"):
            declare = fc.make(
                IncidentDeclare,
                incident_id=incident_id,
                title="事故",
                lat=37.5,
                lon=115.75,
                type_code="road_traffic",
            )
            assert isinstance(await _one(fc, declare), str)
        report = fc.make(SituationReport, incident_id="A", stage="initial", title="初报")
        assert isinstance(await _one(fc, report), str)
    engine = DeadlineEngine()
    load_state(any_hub.engine, StateStore(), engine)
    assert len(engine) == 2
    later = datetime.now(UTC) + timedelta(hours=3)
    overdue = {(a.incident_id, a.rule) for a in engine.poll(later)}
    assert overdue == {("B", "phone_report"), ("B", "written_report")}  # A filed its 初报


async def test_orders_are_delivered_once_and_escalate_when_nobody_answers(
    hub_factory: object, tmp_path: Path
) -> None:
    clock = _Clock()
    t0 = clock.now
    hub = hub_factory(wall_clock=clock, order_ack_timeout_s=300, order_max_resends=2)  # type: ignore[operator]
    leader = hub.enroll("leader-1", "leader")
    police = hub.enroll("police-liaison", "liaison")
    hub.enroll("water-liaison", "liaison")  # enrolled, but its laptop is off
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(police, tmp_path / "p.db") as pc,
        Replica(leader, topics=("order", "alarm")) as lr,
        Replica(police, topics=("order",)) as pr,
    ):
        inbox = OrderInbox(pc, pr)
        for c in (lc, pc):
            await c.wait_online(10)
        await asyncio.wait_for(lr.synced.wait(), 10)
        await asyncio.wait_for(pr.synced.wait(), 10)

        def order(order_id: str) -> OrderStatus:
            value = lr.get("order", order_id)
            assert isinstance(value, OrderStatus)
            return value

        # A connected liaison: delivered by its inbox, then acknowledged by a person.
        first = lc.make(DispatchOrder, order_id="O-1", recipient="police-liaison", text="封闭路口")
        assert isinstance(await _one(lc, first), str)
        await until(
            lambda: lr.get("order", "O-1") is not None and order("O-1").state == "delivered"
        )
        await inbox.update("O-1", "acknowledged")
        await until(lambda: order("O-1").state == "acknowledged")

        # Nobody answers: resent twice, then an alarm and the fallback recipient takes over.
        second = lc.make(
            DispatchOrder,
            order_id="O-2",
            recipient="water-liaison",
            fallback="police-liaison",
            text="开启泵站",
        )
        assert isinstance(await _one(lc, second), str)
        await until(lambda: lr.get("order", "O-2") is not None)
        clock.now = t0 + timedelta(seconds=301)
        await until(lambda: order("O-2").resends == 1)
        clock.now = t0 + timedelta(seconds=601)
        await until(lambda: order("O-2").resends == 2)
        assert order("O-2").recipient == "water-liaison"
        clock.now = t0 + timedelta(seconds=901)
        await until(lambda: order("O-2").recipient == "police-liaison")
        assert lr.get("alarm", "order:O-2").name == "指令未签收"
        assert lr.get("alarm", "order:O-2").detail.startswith("O-2 → ")  # which, to whom
        await until(lambda: order("O-2").state == "delivered")  # the fallback's inbox
        assert "O-2" in inbox.orders
        await inbox.update("O-2", "acknowledged")
        await until(lambda: lr.get("alarm", "order:O-2") is None)  # answered: alarm withdrawn

    with hub.engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(AuditEntry.action)).all()]
    assert actions.count("order_resend") == 2
    assert actions.count("order_alarm") == 1 and actions.count("order_fallback") == 1


def test_a_periodic_job_that_fails_costs_itself_only(hub: HubHandle, monkeypatch: object) -> None:
    """The tick's jobs are steps of their own: a bug in one (here warning expiry, which runs
    before the device refresh) must not stop the hub from showing a newly enrolled device."""
    import pytest

    import shared.hub.server as server

    assert isinstance(monkeypatch, pytest.MonkeyPatch)

    def broken(*_args: object) -> list[str]:
        raise RuntimeError("a bug in warning expiry")

    before = hub.hub.stats["step_failures"]
    monkeypatch.setattr(server, "expired_warnings", broken)
    hub.enroll("late-1", "field")
    presence = hub.hub.state.topics["presence"].items
    deadline = time.monotonic() + 10
    while "late-1" not in presence:
        assert time.monotonic() < deadline, "the device refresh was skipped with the failing job"
        time.sleep(0.01)
    assert hub.hub.stats["step_failures"] > before


async def test_closing_an_incident_ends_its_orders_and_reopening_says_which(
    hub_factory: object, tmp_path: Path
) -> None:
    """Closed as a false alarm, an incident's running order is cancelled with the reason and
    its recipient told; it is never resent or alarmed afterwards; the team's late answer is
    refused saying the order ended and why; reopening names the orders to issue again."""
    from shared.protocol import IncidentReopen

    clock = _Clock()
    t0 = clock.now
    hub = hub_factory(wall_clock=clock, order_ack_timeout_s=300, order_max_resends=2)  # type: ignore[operator]
    leader = hub.enroll("leader-1", "leader")
    team = hub.enroll("team-3", "field")
    hub.enroll("team-off", "field")  # its laptop is off: the order would be resent
    seen: list[str] = []
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(team, tmp_path / "t.db") as tc,
        Replica(leader, topics=("order", "alarm", "incident")) as lr,
        Replica(team, topics=("order",)) as tr,
    ):
        for c in (lc, tc):
            await c.wait_online(10)
        await asyncio.wait_for(lr.synced.wait(), 10)
        await asyncio.wait_for(tr.synced.wait(), 10)
        tr.listeners.append(
            lambda topic, key, value: (
                seen.append(getattr(value, "state", "gone")) if key == "O-9" else None
            )
        )
        await declare(lc, "HZ-9")
        for order_id, who in (("O-9", "team-3"), ("O-10", "team-off")):
            msg = lc.make(
                DispatchOrder, order_id=order_id, recipient=who, incident_id="HZ-9", text="前往现场"
            )
            assert isinstance(await _one(lc, msg), str)
        await until(lambda: tr.get("order", "O-9") is not None)
        close = lc.make(IncidentClose, incident_id="HZ-9", reason="误报：群众误认")
        assert isinstance(await _one(lc, close), str)
        await until(lambda: lr.get("order", "O-9") is None and lr.get("order", "O-10") is None)
        await until(lambda: "gone" in seen)
        assert "cancelled" in seen  # the team was told before the order left its picture
        late = tc.make(OrderUpdate, order_id="O-9", state="acknowledged")
        answer = await tc.submit_and_wait(late, 10)
        assert isinstance(answer, Error) and answer.code == "invalid"
        assert "ended (cancelled" in answer.detail and "误报：群众误认" in answer.detail
        clock.now = t0 + timedelta(seconds=1000)  # past every resend and the alarm
        ticks = hub.hub.stats["ticks"]
        await until(lambda: hub.hub.stats["ticks"] >= ticks + 2, what="two ticks at that time")
        reopen = lc.make(IncidentReopen, incident_id="HZ-9", reason="再次接报")
        assert isinstance(await _one(lc, reopen), str)
        await until(lambda: lr.get("incident", "HZ-9") is not None)
        note = lr.get("incident", "HZ-9").status_note
        assert "O-10" in note and "O-9" in note and "重新下达" in note
        assert lr.get("alarm", "order:O-10") is None
    with hub.engine.connect() as conn:
        rows = conn.execute(select(OrderEvent.order_id, OrderEvent.to_state, OrderEvent.note)).all()
        actions = [a for (a,) in conn.execute(select(AuditEntry.action)).all()]
    cancelled = {r.order_id for r in rows if r.to_state == "cancelled"}
    assert cancelled == {"O-9", "O-10"}
    assert actions.count("order_resend") == 0 and actions.count("order_alarm") == 0


async def test_an_answer_implies_the_steps_before_it(hub: HubHandle, tmp_path: Path) -> None:
    """A department answering 'completed' to an order just issued has received, acknowledged,
    accepted, gone and arrived: each step is recorded with the same time and person (it was
    refused 'allowed: acknowledged, cancelled'); a team that accepted may still decline with
    a reason; nothing follows a final state."""
    leader = hub.enroll("leader-1", "leader")
    police = hub.enroll("police-liaison", "liaison")
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(police, tmp_path / "p.db") as pc,
    ):
        await lc.wait_online(10)
        await pc.wait_online(10)
        for order_id in ("O-1", "O-2"):
            order = lc.make(
                DispatchOrder, order_id=order_id, recipient="police-liaison", text="封路"
            )
            assert isinstance(await _one(lc, order), str)
        done = pc.make(OrderUpdate, order_id="O-1", state="completed", note="已封闭")
        assert isinstance(await _one(pc, done), str)
        late = pc.make(OrderUpdate, order_id="O-1", state="declined", note="迟了")
        err = await _one(pc, late)
        assert isinstance(err, Error) and "completed is final" in err.detail
        for state, note in (("accepted", ""), ("declined", "车辆故障")):
            step = pc.make(OrderUpdate, order_id="O-2", state=state, note=note)  # type: ignore[arg-type]
            assert isinstance(await _one(pc, step), str), state
    with hub.engine.connect() as conn:
        rows = conn.execute(
            select(
                OrderEvent.order_id, OrderEvent.to_state, OrderEvent.note, OrderEvent.at
            ).order_by(OrderEvent.id)
        ).all()
    one = [(r.to_state, r.note) for r in rows if r.order_id == "O-1"]
    assert one == [
        ("delivered", "随“完成”"), ("acknowledged", "随“完成”"), ("accepted", "随“完成”"),
        ("en_route", "随“完成”"), ("on_scene", "随“完成”"), ("completed", "已封闭"),
    ]  # fmt: skip
    assert len({r.at for r in rows if r.order_id == "O-1"}) == 1  # one moment
    two = [r.to_state for r in rows if r.order_id == "O-2"]
    assert two == ["delivered", "acknowledged", "accepted", "declined"]
