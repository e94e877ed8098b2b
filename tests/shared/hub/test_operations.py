"""Reports with attachments, plans and responses, resources and monitoring, duty — all
through a real hub over CURVE sockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.client import HubClient, OrderInbox, Replica, UploadError, upload
from shared.config import ConfigError
from shared.hub.load import load_state
from shared.hub.state import StateStore
from shared.protocol import (
    AttachmentRef,
    ChecklistTick,
    DispatchOrder,
    DutyLogEntry,
    DutyShift,
    Error,
    IncidentDeclare,
    IncidentTransition,
    MonitoringReading,
    ResourceStatus,
    ResourceUpsert,
    ResponseCommand,
    ShiftHandover,
    SituationReport,
)
from shared.store.models import (
    Attachment,
    AuditEntry,
    ChecklistRow,
    Incident,
    Order,
    Reading,
    ReportAttachment,
    ResponseStepRow,
)
from tests.conftest import HubHandle
from tests.support import until as _until


async def _answer(c: HubClient, msg: Any) -> Error | None:
    return await c.submit_and_wait(msg, 10)


def _photo(n: int, seed: int = 1) -> bytes:
    return hashlib.shake_256(f"photo{seed}".encode()).digest(n)


LEAK = dict(incident_id="HZ-1", title="化工园区氨气泄漏", lat=37.5, lon=115.75)


async def test_reports_carry_uploaded_attachments_as_new_versions(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    field = any_hub.enroll("fire-01", "field")
    photo = _photo(600_000)
    seen: list[tuple[int, int]] = []
    async with HubClient(field, tmp_path / "f.db") as c, Replica(field) as r:
        await c.wait_online(10)
        assert await _answer(c, c.make(IncidentDeclare, **LEAK, type_code="hazchem.leak")) is None
        ref = await upload(
            c,
            photo,
            name="现场.jpg",
            chunk_bytes=64 * 1024,
            progress=lambda a, b: seen.append((a, b)),
        )
        assert ref.sha256 == hashlib.sha256(photo).hexdigest()
        assert ref.media_type == "image/jpeg" and ref.size == 600_000
        assert seen[-1] == (600_000, 600_000)
        assert [a for a, _ in seen] == sorted(a for a, _ in seen) and len(seen) >= 10
        held = any_hub.data_dir / "attachments" / ref.sha256[:2] / ref.sha256
        assert held.read_bytes() == photo
        # The same photo again: the hub has it, nothing is sent.
        sent_before = c.stats["sent"]
        again = await upload(c, photo, name="again.jpg")
        assert again.sha256 == ref.sha256
        assert c.stats["sent"] == sent_before
        first = c.make(
            SituationReport,
            incident_id="HZ-1",
            stage="initial",
            title="初报",
            source="phone",
            author="王值班",
            attachments=[ref],
        )
        second = c.make(SituationReport, incident_id="HZ-1", stage="follow_up", title="续报")
        assert await _answer(c, first) is None
        assert await _answer(c, second) is None
        await _until(lambda: r.get("report", second.id) is not None)
        one, two = r.get("report", first.id), r.get("report", second.id)
        assert (one.version, two.version) == (1, 2)
        assert (one.source, one.author, one.attachments) == ("phone", "王值班", [ref])
        # A report naming an attachment the hub does not hold whole is refused.
        missing = AttachmentRef("ab" * 32, "缺失.pdf", "application/pdf", 10)
        refused = await _answer(
            c,
            c.make(
                SituationReport,
                incident_id="HZ-1",
                stage="follow_up",
                title="续报",
                attachments=[missing],
            ),
        )
        assert refused is not None and "is not uploaded: 0 of 10 bytes" in refused.detail
    with any_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Attachment)).scalar_one() == 1
        rows = conn.execute(select(ReportAttachment.report_msg_id, ReportAttachment.name)).all()
        assert rows == [(first.id, "现场.jpg")]
    state = StateStore()
    load_state(any_hub.engine, state)
    assert state.get("report", first.id).attachments == [ref]


async def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
    hub_factory: Any, tmp_path: Path
) -> None:
    hub = hub_factory(attachment_max_bytes=100_000)
    field = hub.enroll("fire-01", "field")
    async with HubClient(field, tmp_path / "f.db") as c:
        await c.wait_online(10)
        with pytest.raises(UploadError, match="exceeds the limit of 100000 bytes"):
            await upload(c, _photo(150_000), name="big.png", chunk_bytes=50_000)
        assert await c.drain(5)
    assert not any((hub.data_dir / "attachments").glob("??/*"))


async def test_an_interrupted_upload_resumes_from_what_the_hub_holds(
    hub: HubHandle, tmp_path: Path
) -> None:
    field = hub.enroll("fire-01", "field")
    photo = _photo(300_000, seed=2)
    sha = hashlib.sha256(photo).hexdigest()
    hub.hub.persister.blobs.put_chunk(sha, len(photo), 0, photo[:200_000])  # an earlier try
    seen: list[int] = []
    async with HubClient(field, tmp_path / "f.db") as c:
        await c.wait_online(10)
        await upload(
            c, photo, name="p.jpg", chunk_bytes=50_000, progress=lambda a, b: seen.append(a)
        )
    assert seen[0] == 200_000 and seen[-1] == 300_000 and len(seen) == 3  # two chunks sent
    assert hub.hub.persister.blobs.read(sha) == photo


async def test_a_drill_report_cannot_land_on_a_real_incident_and_drill_is_inherited(
    hub: HubHandle, tmp_path: Path
) -> None:
    field = hub.enroll("fire-01", "field")
    async with HubClient(field, tmp_path / "f.db") as c, Replica(field) as r:
        await c.wait_online(10)
        assert await _answer(c, c.make(IncidentDeclare, **LEAK)) is None
        drill = c.make(IncidentDeclare, **{**LEAK, "incident_id": "EX-1"}, exercise=True)
        assert await _answer(c, drill) is None
        bad = c.make(
            SituationReport, incident_id="HZ-1", stage="initial", title="演练", exercise=True
        )
        refused = await _answer(c, bad)
        assert refused is not None and "is real, not an exercise" in refused.detail
        plain = c.make(SituationReport, incident_id="EX-1", stage="initial", title="初报")
        assert plain.exercise is False
        assert await _answer(c, plain) is None
        await _until(lambda: r.get("report", plain.id) is not None)
        assert r.get("report", plain.id).exercise is True


async def test_an_area_is_validated_and_kept(hub: HubHandle, tmp_path: Path) -> None:
    field = hub.enroll("fire-01", "field")
    square = [(37.70, 115.60), (37.70, 115.70), (37.75, 115.70), (37.75, 115.60)]
    async with HubClient(field, tmp_path / "f.db") as c, Replica(field) as r:
        await c.wait_online(10)
        assert await _answer(c, c.make(IncidentDeclare, **LEAK, area=square)) is None
        await _until(lambda: r.get("incident", "HZ-1") is not None)
        assert r.get("incident", "HZ-1").area == [*square, square[0]]
        bowtie = [square[0], square[2], square[1], square[3]]
        refused = await _answer(
            c, c.make(IncidentDeclare, **{**LEAK, "incident_id": "HZ-2"}, area=bowtie)
        )
        assert refused is not None and "self-intersection near" in refused.detail
        line = [(37.70, 115.60), (37.71, 115.61), (37.72, 115.62)]
        refused = await _answer(
            c, c.make(IncidentDeclare, **{**LEAK, "incident_id": "HZ-3"}, area=line)
        )
        assert refused is not None and "points lie on one line" in refused.detail
    with hub.engine.connect() as conn:
        stored = conn.execute(select(Incident.area)).scalar_one()
    assert stored.startswith("[[37.7, 115.6]")  # the refused declarations stored nothing


async def test_activating_a_plan_orders_the_departments_and_opens_the_checklist(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    leader = any_hub.enroll("leader-1", "leader")
    duty = any_hub.enroll("duty-1", "duty-officer")
    fire = any_hub.enroll("liaison-fire", "liaison")
    for name in ("liaison-emergency", "liaison-environment", "liaison-police"):
        any_hub.enroll(name, "liaison")
    any_hub.enroll("team-hazmat", "field")  # the plan orders this team directly
    # liaison-county, -health, -weather … are not enrolled here: warned, not ordered.
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(duty, tmp_path / "d.db") as dc,
        HubClient(fire, tmp_path / "fire.db") as fc,
        Replica(leader) as r,
        Replica(fire, topics=("order",)) as fr,
    ):
        inbox = OrderInbox(fc, fr)
        for c in (lc, dc, fc):
            await c.wait_online(10)
        declare = dc.make(IncidentDeclare, **LEAK, type_code="hazchem.leak")
        assert await _answer(dc, declare) is None
        verify = dc.make(IncidentTransition, incident_id="HZ-1", to="verified")
        assert await _answer(dc, verify) is None
        # Only a leader activates a response.
        refused = await _answer(
            dc, dc.make(ResponseCommand, incident_id="HZ-1", action="activate", level=4)
        )
        assert refused is not None and refused.code == "forbidden"
        start = lc.make(
            ResponseCommand, incident_id="HZ-1", action="activate", level=4, reason="泄漏未控制"
        )
        assert await _answer(lc, start) is None
        await _until(lambda: r.get("response", "HZ-1") is not None)
        resp = r.get("response", "HZ-1")
        assert (resp.plan, resp.level, resp.active) == ("hazchem", 4, True)
        assert resp.orders == [
            *(f"R{start.id}-{d}" for d in ("emergency", "fire", "environment")),
            f"R{start.id}-t0",
        ]
        assert r.get("order", f"R{start.id}-t0").recipient == "team-hazmat"
        assert len(resp.warnings) == 1 and "liaison-county" in resp.warnings[0]
        assert [c.item for c in resp.checklist] == ["isolate", "monitor_air"]
        await _until(lambda: r.get("incident", "HZ-1").status == "responding")
        # The fire liaison's inbox gets its order and receipts it.
        await _until(lambda: f"R{start.id}-fire" in inbox.orders)
        await _until(lambda: r.get("order", f"R{start.id}-fire").state == "delivered")
        assert "启动Ⅳ级应急响应" in r.get("order", f"R{start.id}-fire").text
        # Raising adds only what the higher level adds.
        up = lc.make(ResponseCommand, incident_id="HZ-1", action="raise", level=3)
        assert await _answer(lc, up) is None
        await _until(lambda: r.get("response", "HZ-1").level == 3)
        resp = r.get("response", "HZ-1")
        assert resp.orders[-1] == f"R{up.id}-police" and len(resp.orders) == 5
        assert [c.item for c in resp.checklist][-1] == "experts"
        # Illegal changes are refused and change nothing.
        for bad, why in [
            (dict(action="raise", level=4), "raising goes to a higher level"),
            (dict(action="activate", level=2), "already active"),
        ]:
            err = await _answer(lc, lc.make(ResponseCommand, incident_id="HZ-1", **bad))
            assert err is not None and why in err.detail
        tick = dc.make(ChecklistTick, incident_id="HZ-1", item="isolate", note="已设500米警戒")
        assert await _answer(dc, tick) is None
        err = await _answer(dc, dc.make(ChecklistTick, incident_id="HZ-1", item="nope"))
        assert err is not None and "no checklist item 'nope'" in err.detail
        await _until(lambda: r.get("response", "HZ-1").checklist[0].done)
        assert r.get("response", "HZ-1").checklist[0].by == "duty-1"
        for cmd in (dict(action="lower", level=4), dict(action="end")):
            assert await _answer(lc, lc.make(ResponseCommand, incident_id="HZ-1", **cmd)) is None
        await _until(lambda: not r.get("response", "HZ-1").active)
        assert [s.action for s in r.get("response", "HZ-1").history] == [
            "activate",
            "raise",
            "lower",
            "end",
        ]
    with any_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ResponseStepRow)).scalar_one() == 4
        assert conn.execute(select(func.count()).select_from(Order)).scalar_one() == 5
        assert conn.execute(
            select(ChecklistRow.done).where(ChecklistRow.item == "isolate")
        ).scalar_one()
        actions = conn.execute(select(AuditEntry.action)).scalars().all()
    assert actions.count("response") == 4 and "checklist" in actions
    state = StateStore()
    load_state(any_hub.engine, state)
    rebuilt = state.get("response", "HZ-1")
    assert rebuilt.level == 4 and not rebuilt.active and len(rebuilt.history) == 4
    assert rebuilt.checklist[0].done and len(rebuilt.orders) == 5


async def test_a_drill_response_orders_are_drill_orders(hub: HubHandle, tmp_path: Path) -> None:
    leader = hub.enroll("leader-1", "leader")
    hub.enroll("liaison-fire", "liaison")
    async with HubClient(leader, tmp_path / "l.db") as lc, Replica(leader) as r:
        await lc.wait_online(10)
        drill = lc.make(IncidentDeclare, **LEAK, type_code="fire", status="verified", exercise=True)
        assert await _answer(lc, drill) is None
        go = lc.make(ResponseCommand, incident_id="HZ-1", action="activate", level=4)
        assert go.exercise is False  # the leader's client is not in drill mode …
        assert await _answer(lc, go) is None
        await _until(lambda: r.get("response", "HZ-1") is not None)
        order = r.get("order", r.get("response", "HZ-1").orders[0])
        assert order.exercise is True and order.text.startswith("【演练】")  # … the incident is
        assert r.get("response", "HZ-1").exercise is True


async def test_readings_raise_alarms_and_draft_an_incident_to_confirm(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    duty = any_hub.enroll("duty-1", "duty-officer")
    sensor = any_hub.enroll("gauge-gw", "sensor")
    async with (
        HubClient(duty, tmp_path / "d.db") as dc,
        HubClient(sensor, tmp_path / "s.db") as sc,
        Replica(duty) as r,
    ):
        await dc.wait_online(10)
        await sc.wait_online(10)
        gauge = dc.make(
            ResourceUpsert,
            resource_id="WL-FUYANG-1",
            resource_type="monitoring_point",
            name="滏阳河水位站",
            lat=37.74,
            lon=115.68,
            department="water",
            measure="water_level_m",
            warn_at=22.0,
            alarm_at=23.5,
            draft_type="flood",
        )
        assert await _answer(dc, gauge) is None
        t = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)  # readings of today

        def reading(v: float, minutes: int) -> MonitoringReading:
            return sc.make(
                MonitoringReading,
                point_id="WL-FUYANG-1",
                value=v,
                measured=t + timedelta(minutes=minutes),
            )

        assert await _answer(sc, reading(21.0, 0)) is None
        assert await _answer(sc, reading(22.4, 10)) is None
        await _until(lambda: r.get("monitor", "WL-FUYANG-1") is not None)
        warn = r.get("monitor", "WL-FUYANG-1")
        assert (warn.severity, warn.threshold, warn.draft) == ("warning", 22.0, None)
        assert await _answer(sc, reading(23.6, 20)) is None
        await _until(lambda: r.get("monitor", "WL-FUYANG-1").severity == "alarm")
        alarm = r.get("monitor", "WL-FUYANG-1")
        assert alarm.draft is not None and alarm.draft.type_code == "flood"
        late = reading(10.0, 5)  # older than the last: recorded, the picture stays
        assert await _answer(sc, late) is None
        assert r.get("resource", "WL-FUYANG-1").last_value == 23.6
        # A sensor may only send readings.
        err = await _answer(sc, sc.make(DutyLogEntry, text="hi"))
        assert err is not None and err.code == "forbidden"
        unknown = sc.make(MonitoringReading, point_id="NOPE", value=1.0, measured=t)
        err = await _answer(sc, unknown)
        assert err is not None and "no monitoring point 'NOPE'" in err.detail
        future = datetime(2030, 1, 1, tzinfo=UTC)  # a gateway with its clock years ahead
        ahead = sc.make(MonitoringReading, point_id="WL-FUYANG-1", value=30.0, measured=future)
        err = await _answer(sc, ahead)
        assert err is not None and "measured" in err.detail
        assert "ahead of the hub's clock" in err.detail
        assert r.get("resource", "WL-FUYANG-1").last_value == 23.6  # not shown as current
        # The duty officer confirms the draft as an incident.
        d = alarm.draft
        confirm = dc.make(
            IncidentDeclare,
            incident_id="FL-1",
            title=d.title,
            lat=d.lat,
            lon=d.lon,
            from_draft="WL-FUYANG-1",  # no type given: the draft's type is kept
        )
        assert await _answer(dc, confirm) is None
        await _until(lambda: r.get("monitor", "WL-FUYANG-1").confirmed_as == "FL-1")
        await _until(lambda: r.get("incident", "FL-1") is not None)
        assert d.type_code and r.get("incident", "FL-1").type_code == d.type_code
        again = dc.make(
            IncidentDeclare, **{**LEAK, "incident_id": "FL-2"}, from_draft="WL-FUYANG-1"
        )
        err = await _answer(dc, again)
        assert err is not None and "already confirmed as FL-1" in err.detail
        assert await _answer(sc, reading(21.5, 30)) is None
        await _until(lambda: r.get("monitor", "WL-FUYANG-1") is None)
        bad = dc.make(
            ResourceUpsert,
            resource_id="WL-2",
            resource_type="monitoring_point",
            name="x",
            lat=37.7,
            lon=115.6,
            measure="water_level_m",
            warn_at=5.0,
            alarm_at=4.0,
        )
        err = await _answer(dc, bad)
        assert err is not None and "a warning comes first" in err.detail
    with any_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Reading)).scalar_one() == 5
        assert conn.execute(select(Incident.draft_of)).scalar_one() == "WL-FUYANG-1"


async def test_resources_shelters_and_depots(hub: HubHandle, tmp_path: Path) -> None:
    duty = hub.enroll("duty-1", "duty-officer")
    liaison = hub.enroll("liaison-civil-affairs", "liaison")
    async with (
        HubClient(duty, tmp_path / "d.db") as dc,
        HubClient(liaison, tmp_path / "l.db") as lc,
        Replica(duty, topics=("resource",)) as r,
    ):
        await dc.wait_online(10)
        await lc.wait_online(10)
        shelter = dc.make(
            ResourceUpsert,
            resource_id="SH-1",
            resource_type="shelter",
            name="人民公园避难场所",
            lat=37.73,
            lon=115.69,
            capacity=5000,
            department="civil_affairs",
        )
        depot = dc.make(
            ResourceUpsert,
            resource_id="DEP-1",
            resource_type="depot",
            name="市救灾物资储备库",
            lat=37.75,
            lon=115.66,
            stock={"帐篷": 800, "棉被": 5000},
            department="civil_affairs",
        )
        fire_team = dc.make(ResourceUpsert, **_resource("FIRE-TEAM-1"), department="fire")
        assert await _answer(dc, shelter) is None and await _answer(dc, depot) is None
        assert await _answer(dc, fire_team) is None
        # A liaison changes its own department's resources only.
        err = await _answer(
            lc, lc.make(ResourceStatus, resource_id="FIRE-TEAM-1", availability="unavailable")
        )
        assert err is not None and err.code == "forbidden" and "liaison-fire" in err.detail
        move_in = lc.make(ResourceStatus, resource_id="SH-1", occupancy=1200, note="第一批安置")
        assert await _answer(lc, move_in) is None
        issue = lc.make(ResourceStatus, resource_id="DEP-1", stock={"帐篷": 650, "棉被": 5000})
        assert await _answer(lc, issue) is None
        await _until(lambda: r.get("resource", "DEP-1").stock.get("帐篷") == 650)
        assert r.get("resource", "SH-1").occupancy == 1200
        err = await _answer(lc, lc.make(ResourceStatus, resource_id="DEP-1", occupancy=3))
        assert err is not None and "no occupancy" in err.detail
        err = await _answer(
            lc, lc.make(ResourceStatus, resource_id="SH-9", availability="assigned")
        )
        assert err is not None and err.code == "not_found"
        err = await _answer(lc, lc.make(ResourceUpsert, **_resource("X")))
        assert err is not None and err.code == "forbidden"


def _resource(rid: str) -> dict[str, Any]:
    return dict(resource_id=rid, resource_type="team", name="t", lat=37.7, lon=115.6)


async def test_duty_roster_log_and_handover(any_hub: HubHandle, tmp_path: Path) -> None:
    duty = any_hub.enroll("duty-1", "duty-officer")
    async with HubClient(duty, tmp_path / "d.db") as dc, Replica(duty, topics=("duty",)) as r:
        await dc.wait_online(10)
        start = datetime(2026, 11, 25, 8, tzinfo=UTC)
        shift = dc.make(
            DutyShift,
            shift_id="2026-11-25-day",
            person="张三",
            post="值班员",
            start=start,
            end=start + timedelta(hours=24),
        )
        assert await _answer(dc, shift) is None
        wrong = dc.make(
            DutyShift, shift_id="x", person="李四", post="值班员", start=start, end=start
        )
        err = await _answer(dc, wrong)
        assert err is not None and "must end after it starts" in err.detail
        entries = [
            dc.make(DutyLogEntry, text=f"接报 {i}", category="call", author="张三")
            for i in range(3)
        ]
        for e in entries:
            assert await _answer(dc, e) is None
        hand = dc.make(
            ShiftHandover,
            from_person="张三",
            to_person="李四",
            notes="平稳",
            open_items=["跟踪水位"],
        )
        assert await _answer(dc, hand) is None
        await _until(lambda: r.get("duty", "handover") is not None)
        assert r.get("duty", f"log:{entries[0].id}").text == "接报 0"
        assert r.get("duty", f"log:{hand.id}").category == "handover"
        assert r.get("duty", "shift:2026-11-25-day").person == "张三"
    state = StateStore()
    load_state(any_hub.engine, state)
    assert state.get("duty", "handover").to_person == "李四"
    assert len([k for k in state.topics["duty"].items if k.startswith("log:")]) == 4


def test_site_plans_naming_a_missing_department_stop_the_hub_at_start(
    hub_factory: Any, tmp_path: Path
) -> None:
    departments = tmp_path / "departments.toml"
    departments.write_text(
        '[[departments]]\ncode = "fire"\nname = "消防"\nliaison = "liaison-fire"\n',
        encoding="utf-8",
    )
    plans = tmp_path / "plans.toml"
    plans.write_text(
        '[[plans]]\ncode = "g"\nname = "总体"\ntypes = []\n'
        '[plans.levels.4]\ndepartments = ["fire", "police"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"plan 'g' level 4: unknown department 'police'"):
        hub_factory(plans_file=str(plans), departments_file=str(departments))
    with pytest.raises(ConfigError, match="cannot read"):
        hub_factory(plans_file=str(tmp_path / "nope.toml"))
    plans.write_text(plans.read_text(encoding="utf-8").replace(', "police"', ""), "utf-8")
    hub = hub_factory(plans_file=str(plans), departments_file=str(departments))
    assert [p.code for p in hub.hub.persister.plans.plans] == ["g"]


async def test_a_request_refused_half_way_leaves_nothing_behind(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    leader = any_hub.enroll("leader-1", "leader")
    for name in ("liaison-emergency", "liaison-fire"):
        any_hub.enroll(name, "liaison")
    async with HubClient(leader, tmp_path / "l.db") as lc, Replica(leader) as r:
        await lc.wait_online(10)
        declare = lc.make(IncidentDeclare, **LEAK, type_code="hazchem.leak", status="verified")
        assert await _answer(lc, declare) is None
        start = lc.make(ResponseCommand, incident_id="HZ-1", action="activate", level=4)
        # The id the response would give the fire department's order is already taken, so
        # the response fails after writing the emergency department's order.
        taken = lc.make(
            DispatchOrder, order_id=f"R{start.id}-fire", recipient="liaison-fire", text="先行"
        )
        assert await _answer(lc, taken) is None
        err = await _answer(lc, start)
        assert err is not None and "is already used" in err.detail
        # a later change, published after anything the refused request could have left:
        # once it is here, whatever that request published would be here too
        marker = lc.make(DutyLogEntry, text="标记")
        assert await _answer(lc, marker) is None
        await _until(
            lambda: any(getattr(v, "text", "") == "标记" for v in r.items["duty"].values())
        )
        assert r.get("response", "HZ-1") is None
        assert r.get("order", f"R{start.id}-emergency") is None
        assert r.get("incident", "HZ-1").status == "verified"
    with any_hub.engine.connect() as conn:
        orders = conn.execute(select(Order.order_id)).scalars().all()
        steps = conn.execute(select(func.count()).select_from(ResponseStepRow)).scalar_one()
        audit = conn.execute(select(AuditEntry.action)).scalars().all()
    assert orders == [f"R{start.id}-fire"] and steps == 0
    assert audit.count("order") == 1 and "response" not in audit


async def test_a_closed_incident_is_reopened_with_its_reports_and_a_reason(
    any_hub: HubHandle, tmp_path: Path
) -> None:
    from shared.protocol import IncidentClose, IncidentReopen, IncidentTransition
    from shared.store.models import IncidentTransitionRow

    leader = any_hub.enroll("leader-1", "leader")
    field = any_hub.enroll("team-7", "field")
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        HubClient(field, tmp_path / "f.db") as fc,
        Replica(leader) as r,
    ):
        await lc.wait_online(10)
        await fc.wait_online(10)
        assert await _answer(lc, lc.make(IncidentDeclare, **LEAK, status="verified")) is None
        first = lc.make(SituationReport, incident_id="HZ-1", stage="initial", title="初报")
        assert await _answer(lc, first) is None
        reopen = lc.make(IncidentReopen, incident_id="HZ-1", reason="复燃")
        err = await _answer(lc, reopen)
        assert err is not None and err.code == "conflict" and "is open" in err.detail
        step = lc.make(IncidentTransition, incident_id="HZ-1", to="stabilised")
        assert (
            await _answer(lc, lc.make(IncidentTransition, incident_id="HZ-1", to="responding"))
            is None
        )
        assert await _answer(lc, step) is None
        assert (
            await _answer(lc, lc.make(IncidentClose, incident_id="HZ-1", reason="险情排除")) is None
        )
        await _until(
            lambda: r.get("incident", "HZ-1") is None and r.get("report", first.id) is None
        )
        # who may not, without a word, or what was never there: refused, said why
        err = await _answer(fc, fc.make(IncidentReopen, incident_id="HZ-1", reason="复燃"))
        assert err is not None and err.code == "forbidden"
        err = await _answer(lc, lc.make(IncidentReopen, incident_id="HZ-1", reason=" "))
        assert err is not None and err.code == "invalid" and "why" in err.detail
        err = await _answer(lc, lc.make(IncidentReopen, incident_id="NOPE", reason="x"))
        assert err is not None and err.code == "not_found"
        # reopened: back as verified, facts and reports with it, the reason on the step
        reopen = lc.make(IncidentReopen, incident_id="HZ-1", reason="复燃")
        assert await _answer(lc, reopen) is None
        await _until(lambda: r.get("incident", "HZ-1") is not None)
        back = r.get("incident", "HZ-1")
        assert (back.status, back.status_note, back.title) == ("verified", "复燃", LEAK["title"])
        await _until(lambda: r.get("report", first.id) is not None)
        follow = lc.make(SituationReport, incident_id="HZ-1", stage="follow_up", title="续报")
        assert await _answer(lc, follow) is None  # reports are taken again
    with any_hub.engine.connect() as conn:
        steps = conn.execute(
            select(IncidentTransitionRow.from_status, IncidentTransitionRow.to_status,
                   IncidentTransitionRow.note)
            .where(IncidentTransitionRow.incident_id == "HZ-1")
            .order_by(IncidentTransitionRow.id)
        ).all()  # fmt: skip
    assert [tuple(s) for s in steps][-1] == ("closed", "verified", "复燃")
