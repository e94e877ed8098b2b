"""A county hub linked to the city hub: the county's incidents, reports (with photos) and
resources reach the city once, under the county's prefix; the city's orders to the county
reach the county recipient and the answers come back; what the county had before the link
existed is caught up; nothing loops."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.client import HubClient, OrderInbox, Replica, issue_order, upload
from shared.config import ConfigError, UpstreamSettings
from shared.protocol import (
    IncidentClose,
    IncidentDeclare,
    IncidentReopen,
    IncidentTransition,
    LevelOverride,
    OrderUpdate,
    ResourceUpsert,
    SituationReport,
)
from shared.store.models import Incident, IncidentTransitionRow, Report
from tests.support import until as _until

PHOTO = hashlib.shake_256(b"county").digest(700_000)


def _county(hub_factory: Any, city: Any, tmp_path: Path, **extra: Any) -> Any:
    bundle = city.enroll("county-zaoqiang", "county")
    path = tmp_path / "county-zaoqiang.json"
    bundle.save(path)
    settings = UpstreamSettings(bundle=str(path), orders_to="duty-zq", **extra)
    return hub_factory(level="county", upstream=settings)


async def test_county_items_go_up_once_and_city_orders_come_down_and_are_answered(
    hub_factory: Any, tmp_path: Path
) -> None:
    city = hub_factory()
    county = _county(hub_factory, city, tmp_path)
    leader = city.enroll("leader-1", "leader")
    duty = county.enroll("duty-zq", "duty-officer")
    async with (
        HubClient(duty, tmp_path / "d.db") as dc,
        Replica(duty) as dr,
        HubClient(leader, tmp_path / "l.db") as lc,
        Replica(leader) as lr,
    ):
        await dc.wait_online(10)
        await lc.wait_online(10)
        inbox = OrderInbox(dc, dr)
        declare = dc.make(
            IncidentDeclare,
            incident_id="ZQ-1",
            title="枣强县化工厂火灾",
            lat=37.51,
            lon=115.72,
            type_code="fire",
            division="131121",
            dead=1,
            status="verified",
        )
        assert await dc.submit_and_wait(declare, 10) is None
        ref = await upload(dc, PHOTO, name="火场.jpg", media_type="image/jpeg")
        report = dc.make(
            SituationReport,
            incident_id="ZQ-1",
            stage="initial",
            title="初报：仓库起火",
            text="仓库三层起火，已疏散工人40名",
            author="县值班员",
            attachments=[ref],
        )
        assert await dc.submit_and_wait(report, 10) is None
        team = dc.make(
            ResourceUpsert,
            resource_id="ZQ-FIRE-1",
            resource_type="team",
            name="枣强消防中队",
            lat=37.52,
            lon=115.73,
            category="fire",
        )
        assert await dc.submit_and_wait(team, 10) is None

        city_id = "county-zaoqiang/ZQ-1"
        await _until(lambda: lr.get("report", report.id) is not None)
        inc = lr.get("incident", city_id)
        assert inc.title == "枣强县化工厂火灾" and inc.dead == 1 and inc.status == "verified"
        up = lr.get("report", report.id)
        assert (
            up.incident_id == city_id and up.source == "county" and "county-zaoqiang" in up.author
        )
        with city.engine.connect() as conn:  # every word reaches the city, not just the title
            text = conn.execute(select(Report.text).where(Report.msg_id == report.id)).scalar()
        assert text == "仓库三层起火，已疏散工人40名"
        assert (city.data_dir / "attachments" / ref.sha256[:2] / ref.sha256).read_bytes() == PHOTO
        await _until(lambda: lr.get("resource", "county-zaoqiang/ZQ-FIRE-1") is not None)

        # the city orders the county; the county's duty officer gets it and answers
        order_id, refusal = await issue_order(lc, "county-zaoqiang", "请组织疏散周边群众", city_id)
        assert refusal is None
        mirrored = f"city/{order_id}"
        await _until(lambda: mirrored in inbox.orders)
        got = inbox.orders[mirrored]
        assert got.incident_id == "ZQ-1" and "市指挥部 leader-1" in got.text
        await _until(lambda: lr.get("order", order_id).state == "delivered")
        await inbox.update(mirrored, "acknowledged")
        await inbox.update(mirrored, "accepted", "已出动两个中队")
        await _until(lambda: lr.get("order", order_id).state == "accepted")
        # the final state crosses the link too, with its words
        for step in ("en_route", "on_scene", "completed"):
            await inbox.update(mirrored, step, "疏散完毕" if step == "completed" else "")  # type: ignore[arg-type]
        await _until(lambda: lr.get("order", order_id).state == "completed")
        assert lr.get("order", order_id).note.startswith("疏散完毕")
        # a city cancel reaches the county's copy
        second, refusal = await issue_order(lc, "county-zaoqiang", "再派一个中队", city_id)
        assert refusal is None
        await _until(lambda: f"city/{second}" in inbox.orders)
        cancel = lc.make(OrderUpdate, order_id=second, state="cancelled", note="已由市级力量处置")
        assert await lc.submit_and_wait(cancel, 10) is None
        await _until(lambda: dr.get("order", f"city/{second}").state == "cancelled")
        assert "已由市级力量处置" in dr.get("order", f"city/{second}").note

        # a 续报 later goes up too; nothing comes back down as a county incident
        follow = dc.make(
            SituationReport, incident_id="ZQ-1", stage="follow_up", title="续报：火势控制"
        )
        assert await dc.submit_and_wait(follow, 10) is None
        await _until(lambda: lr.get("report", follow.id) is not None)
        # a lifecycle step goes up with its note
        step = dc.make(IncidentTransition, incident_id="ZQ-1", to="responding", note="启动县级响应")
        assert await dc.submit_and_wait(step, 10) is None
        await _until(lambda: lr.get("incident", city_id).status == "responding")
        with city.engine.connect() as conn:
            notes = (
                conn.execute(
                    select(IncidentTransitionRow.note).where(
                        IncidentTransitionRow.incident_id == city_id
                    )
                )
                .scalars()
                .all()
            )
        assert any(n.startswith("启动县级响应") for n in notes), notes
        calm = dc.make(IncidentTransition, incident_id="ZQ-1", to="stabilised", note="火势控制")
        assert await dc.submit_and_wait(calm, 10) is None
        # the county closes its incident: the city's copy closes with the county's reason
        close = dc.make(IncidentClose, incident_id="ZQ-1", reason="明火扑灭，现场移交")
        assert await dc.submit_and_wait(close, 10) is None
        await _until(lambda: lr.get("incident", city_id) is None)
        with city.engine.connect() as conn:
            status, reason = conn.execute(
                select(Incident.status, Incident.closed_reason).where(
                    Incident.incident_id == city_id
                )
            ).one()
        assert status == "closed" and reason.startswith("明火扑灭，现场移交")
        # the county hall sees its link to the city like a relay destination
        await _until(lambda: getattr(dr.get("relay", "city"), "queued", None) == 0)
        assert dr.get("relay", "city").transport == "upstream"
        # and so does `relay status` on the county's data folder
        res = subprocess.run(
            [
                *(sys.executable, "-m", "command_center", "relay", "status"),
                *("--data-dir", str(county.data_dir)),
                *("--db", county.engine.url.render_as_string(hide_password=False)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = [json.loads(line) for line in res.stdout.splitlines()]
        assert {"destination": "city", "transport": "upstream", "queued": 0} in lines, res

        def city_reports() -> int:
            with city.engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(Report)).scalar_one())

        await _until(lambda: city_reports() == 2, 10)
    with county.engine.connect() as conn:
        assert conn.execute(select(Incident.incident_id)).scalars().all() == ["ZQ-1"]
        assert conn.execute(select(func.count()).select_from(Report)).scalar_one() == 2


async def test_a_county_s_level_decisions_and_reopening_reach_the_city(
    hub_factory: Any, tmp_path: Path
) -> None:
    """An incident with no type (the city cannot grade it) keeps the county's level, a
    county override goes up with its reason, and a closed incident reopened at the county is
    reopened at the city — then closed again."""
    city = hub_factory()
    county = _county(hub_factory, city, tmp_path)
    leader = city.enroll("leader-1", "leader")
    duty = county.enroll("duty-zq", "duty-officer")
    city_id = "county-zaoqiang/ZQ-9"
    async with (
        HubClient(duty, tmp_path / "d.db") as dc,
        HubClient(leader, tmp_path / "l.db") as lc,
        Replica(leader) as lr,
    ):
        await dc.wait_online(10)
        await lc.wait_online(10)
        declare = dc.make(
            IncidentDeclare,
            incident_id="ZQ-9",
            title="枣强县不明气味",
            lat=37.51,
            lon=115.72,
            division="131121",
            level=4,
        )
        assert await dc.submit_and_wait(declare, 10) is None
        await _until(lambda: getattr(lr.get("incident", city_id), "level", None) == 4)
        raise_it = dc.make(LevelOverride, incident_id="ZQ-9", level=3, reason="周边学校停课")
        assert await dc.submit_and_wait(raise_it, 10) is None
        await _until(lambda: lr.get("incident", city_id).level == 3, what="the county's level")
        assert "周边学校停课" in lr.get("incident", city_id).override_reason
        close = dc.make(IncidentClose, incident_id="ZQ-9", reason="气味消散")
        assert await dc.submit_and_wait(close, 10) is None
        await _until(lambda: lr.get("incident", city_id) is None, what="closed at the city")
        reopen = dc.make(IncidentReopen, incident_id="ZQ-9", reason="气味再次出现")
        assert await dc.submit_and_wait(reopen, 10) is None
        await _until(lambda: lr.get("incident", city_id) is not None, what="reopened at the city")
        assert lr.get("incident", city_id).status == "verified"
        again = dc.make(IncidentClose, incident_id="ZQ-9", reason="查明为沥青加热，已处置")
        assert await dc.submit_and_wait(again, 10) is None
        await _until(lambda: lr.get("incident", city_id) is None, what="closed again")
    with city.engine.connect() as conn:
        status, reason = conn.execute(
            select(Incident.status, Incident.closed_reason).where(Incident.incident_id == city_id)
        ).one()
        steps = conn.execute(
            select(IncidentTransitionRow.to_status, IncidentTransitionRow.note)
            .where(IncidentTransitionRow.incident_id == city_id)
            .order_by(IncidentTransitionRow.id)
        ).all()
    assert status == "closed" and reason.startswith("查明为沥青加热")
    assert [s for s, _ in steps][-3:] == ["closed", "verified", "closed"]
    assert steps[-2][1].startswith("气味再次出现")


async def test_what_the_county_had_before_the_link_is_caught_up(
    hub_factory: Any, tmp_path: Path
) -> None:
    city = hub_factory()
    alone = hub_factory(level="county")
    duty = alone.enroll("duty-zq", "duty-officer")
    async with HubClient(duty, tmp_path / "d.db") as dc:
        await dc.wait_online(10)
        declare = dc.make(
            IncidentDeclare, incident_id="ZQ-7", title="道路塌陷", lat=37.5, lon=115.7
        )
        assert await dc.submit_and_wait(declare, 10) is None
        rep = dc.make(SituationReport, incident_id="ZQ-7", stage="initial", title="初报")
        assert await dc.submit_and_wait(rep, 10) is None
    alone.hub.stop()
    bundle = city.enroll("county-zaoqiang", "county")
    path = tmp_path / "cz.json"
    bundle.save(path)
    linked = hub_factory(
        db_url=str(alone.engine.url),
        level="county",
        upstream=UpstreamSettings(bundle=str(path), orders_to="duty-zq"),
    )
    watcher = city.enroll("leader-1", "leader")
    async with Replica(watcher) as lr:
        await _until(lambda: lr.get("report", rep.id) is not None)
        assert lr.get("incident", "county-zaoqiang/ZQ-7").title == "道路塌陷"
    linked.hub.stop()
    again = hub_factory(
        db_url=str(alone.engine.url),
        level="county",
        upstream=UpstreamSettings(bundle=str(path), orders_to="duty-zq"),
    )
    # a restart sends nothing the city holds: once its catch-up is done, nothing went up
    assert again.hub.upstream is not None
    link = again.hub.upstream
    await _until(lambda: link.catch_ups >= 1, 20)
    assert link.forwarded == 0
    with city.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Report)).scalar_one() == 1


def test_a_wrong_upstream_bundle_stops_the_hub_with_the_reason(
    hub_factory: Any, tmp_path: Path
) -> None:
    city = hub_factory()
    field = city.enroll("fire-01", "field")
    path = tmp_path / "f.json"
    field.save(path)
    with pytest.raises(ConfigError, match="enrol this county with --role county"):
        hub_factory(level="county", upstream=UpstreamSettings(bundle=str(path)))
    with pytest.raises(ConfigError, match="run it with --level county"):
        hub_factory(upstream=UpstreamSettings(bundle=str(path)))
