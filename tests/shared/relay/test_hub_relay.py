"""The relay inside a real hub: a 初报 with a photo made by a duty officer reaches the
provincial simulator over mutual TLS and the drop folder, the response that follows as an
Update; drills never leave; the backlog is published; an alert lost in a crash between the
hub's commit and the queue write is queued again at the next start."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from shared.client import HubClient, Replica, upload
from shared.config import ConfigError, RelayConfig, RelayDestination
from shared.identity.pki import init_test_pki
from shared.protocol import IncidentClose, IncidentDeclare, ResponseCommand, SituationReport
from shared.relay import Schemas, parse_untrusted, read_alert, read_distribution
from shared.sim.province import ProvinceSim, server_tls
from shared.store.models import RelayAlert, RelayDelivery
from tests.support import free_ports
from tests.support import until as _until

LEAK = dict(incident_id="HZ-7", title="化工园区氨气泄漏", lat=37.70, lon=115.70)


@pytest.fixture
async def province(tmp_path: Path, schemas: Schemas) -> AsyncIterator[tuple[ProvinceSim, dict]]:
    pki = init_test_pki(tmp_path / "pki")
    tls = server_tls(pki["ca"].cert, pki["province"].cert, pki["province"].key)
    sim = ProvinceSim(tmp_path / "province", schemas, tls)
    await sim.start("127.0.0.1", free_ports(1)[0])
    try:
        yield sim, pki
    finally:
        await sim.stop()
        sim.close()


def _relay_config(sim: ProvinceSim, pki: dict, drop: Path) -> RelayConfig:
    return RelayConfig(
        destinations=[
            RelayDestination(
                name="province",
                url=f"https://127.0.0.1:{sim.port}/edxl",
                ca=str(pki["ca"].cert),
                cert=str(pki["city"].cert),
                key=str(pki["city"].key),
                timeout_s=5,
            ),
            RelayDestination(name="ferry", drop_dir=str(drop)),
        ],
        backoff_first_s=0.2,
        backoff_max_s=1.0,
    )


async def test_a_first_report_with_a_photo_reaches_the_province_and_the_ferry(
    hub_factory: Any, province: tuple[ProvinceSim, dict], tmp_path: Path
) -> None:
    sim, pki = province
    hub = hub_factory(relay=_relay_config(sim, pki, tmp_path / "ferry"))
    officer = hub.enroll("duty-01", "duty-officer")
    leader = hub.enroll("leader-01", "leader")
    photo = hashlib.shake_256(b"scene").digest(300_000)
    async with (
        HubClient(officer, tmp_path / "o.db") as c,
        HubClient(leader, tmp_path / "l.db") as lc,
        Replica(officer) as r,
    ):
        await c.wait_online(10)
        await lc.wait_online(10)
        assert (
            await c.submit_and_wait(c.make(IncidentDeclare, **LEAK, type_code="hazchem.leak"), 10)
            is None
        )
        drill = dict(LEAK, incident_id="DRILL-1", title="演练：储罐泄漏")
        assert await c.submit_and_wait(c.make(IncidentDeclare, **drill, exercise=True), 10) is None
        ref = await upload(c, photo, name="现场.jpg", media_type="image/jpeg")
        first = c.make(
            SituationReport,
            incident_id="HZ-7",
            stage="initial",
            title="储罐区氨气泄漏",
            text="东北风三级，已疏散周边300人",
            author="王值班",
            attachments=[ref],
        )
        assert await c.submit_and_wait(first, 10) is None
        drill_report = c.make(
            SituationReport, incident_id="DRILL-1", stage="initial", title="演练初报", exercise=True
        )
        assert await c.submit_and_wait(drill_report, 10) is None
        await _until(lambda: len(sim.received) >= 1)
        respond = lc.make(
            ResponseCommand, incident_id="HZ-7", action="activate", level=3, reason="泄漏扩大"
        )
        assert await lc.submit_and_wait(respond, 10) is None
        await _until(lambda: len(sim.received) >= 2)
        # Closing reaches the province too (a false alarm: Cancel); the drill's close does not.
        for incident_id in ("DRILL-1", "HZ-7"):
            close = lc.make(IncidentClose, incident_id=incident_id, reason="核实为误报")
            assert await lc.submit_and_wait(close, 10) is None
        await _until(lambda: len(sim.received) >= 3)
        await _until(lambda: getattr(r.get("relay", "province"), "delivered", 0) >= 3)
        await asyncio.sleep(0.5)  # nothing else (the drill) arrives late
    assert [e["valid"] for e in sim.received] == [True, True, True]
    assert [e["type"] for e in sim.received][:2] == ["Report", "Update"]
    assert {e["incident"] for e in sim.received} == {"HZ-7"}
    cancel = read_alert(
        parse_untrusted(
            read_distribution(
                parse_untrusted((sim.record / "received" / sim.received[2]["file"]).read_bytes())
            )
            .contents[0]
            .xml
            or b""
        )
    )
    assert cancel.msg_type == "Cancel" and "核实为误报" in cancel.infos[0].description
    assert len(cancel.references) == 2  # the 初报 and the response before it
    assert {e["incident"] for e in sim.received} == {"HZ-7"}
    doc = (sim.record / "received" / sim.received[0]["file"]).read_bytes()
    dist = read_distribution(parse_untrusted(doc, max_bytes=10**8))
    [cap, carried] = dist.contents
    assert carried.non_xml is not None and carried.non_xml.data == photo
    assert carried.non_xml.digest == hashlib.sha1(photo).hexdigest()
    assert base64.b64encode(photo)[:40] in doc
    alert = read_alert(parse_untrusted(cap.xml or b""))
    assert "东北风三级" in alert.infos[0].description and alert.msg_type == "Alert"
    update = read_alert(
        parse_untrusted(
            read_distribution(
                parse_untrusted((sim.record / "received" / sim.received[1]["file"]).read_bytes())
            )
            .contents[0]
            .xml
            or b""
        )
    )
    assert update.msg_type == "Update" and update.references == [alert.reference()]
    ferry = sorted((tmp_path / "ferry").glob("*.xml"))
    assert len(ferry) == 3 and (tmp_path / "ferry" / "manifest.sha256").is_file()
    status = r.get("relay", "province")
    assert status.queued == 0 and status.last_ack.startswith("ACK-") and status.transport == "https"


async def test_an_alert_lost_between_commit_and_queue_is_queued_at_the_next_start(
    hub_factory: Any, tmp_path: Path
) -> None:
    relay = RelayConfig(
        destinations=[RelayDestination(name="ferry", drop_dir=str(tmp_path / "ferry"))]
    )
    hub = hub_factory(relay=relay)
    officer = hub.enroll("duty-01", "duty-officer")
    async with HubClient(officer, tmp_path / "o.db") as c:
        await c.wait_online(10)
        assert await c.submit_and_wait(c.make(IncidentDeclare, **LEAK), 10) is None
        for stage in ("initial", "follow_up"):
            rep = c.make(SituationReport, incident_id="HZ-7", stage=stage, title=stage)
            assert await c.submit_and_wait(rep, 10) is None
    await _until(lambda: len(list((tmp_path / "ferry").glob("*.xml"))) == 2)
    hub.hub.stop()
    # the crash: the second report's alert never made it into the queue
    with hub.engine.begin() as conn:
        last = conn.execute(
            select(RelayAlert.seq).order_by(RelayAlert.seq.desc()).limit(1)
        ).scalar()
        conn.execute(delete(RelayDelivery).where(RelayDelivery.alert_seq == last))
        conn.execute(delete(RelayAlert).where(RelayAlert.seq == last))
    again = hub_factory(relay=relay, db_url=str(hub.engine.url))
    await _until(lambda: again.hub.relayer.status("ferry").delivered == 2)
    with again.engine.connect() as conn:
        kinds = conn.execute(
            select(RelayAlert.kind, RelayAlert.reference).order_by(RelayAlert.seq)
        ).all()
    assert len(kinds) == 2
    # the re-queued follow-up still references the 初报
    assert again.hub.relayer.factory.chain["HZ-7"][0] == kinds[0][1]


def test_a_missing_certificate_stops_the_hub_with_the_file_named(
    hub_factory: Any, tmp_path: Path
) -> None:
    relay = RelayConfig(
        destinations=[
            RelayDestination(
                name="province", url="https://10.0.0.1/edxl", ca="/nope/ca.crt", cert="x", key="y"
            )
        ]
    )
    with pytest.raises(ConfigError, match=r"ca file '/nope/ca\.crt' not found"):
        hub_factory(relay=relay)


async def test_a_relay_that_stops_is_an_alarm_never_silence(
    hub_factory: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """The relay's thread ending by an error it did not contain (a bug injected here: every
    delivery round fails) raises an alarm in the hall, with why; the hub goes on."""
    hub = hub_factory(
        relay=RelayConfig(
            destinations=[RelayDestination(name="ferry", drop_dir=str(tmp_path / "f"))]
        )
    )
    relayer = hub.hub.relayer
    assert relayer is not None

    async def broken(now: object = None) -> int:
        raise RuntimeError("injected: the relay loop failed")

    monkeypatch.setattr(relayer, "deliver_due", broken)
    duty = hub.enroll("duty-1", "duty-officer")
    async with HubClient(duty, tmp_path / "d.db") as c, Replica(duty, topics=("alarm",)) as r:
        await c.wait_online(30)
        await asyncio.wait_for(r.synced.wait(), 30)
        relayer._poke()  # wake the loop: its next round fails
        await _until(lambda: r.get("alarm", "feed_stopped:relay") is not None, 30)
        alarm = r.get("alarm", "feed_stopped:relay")
        assert alarm.name == "向省级报送已停止" and "injected" in alarm.detail
        assert "restart" in alarm.detail
