"""Inbound warnings through a real hub: a gateway sends them, the picture shows them with a
draft incident a duty officer confirms, an Update replaces and a Cancel withdraws, the same
alert twice is stored once, and a restarted hub shows only those still in force."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from shared.client import HubClient, Replica
from shared.protocol import IncidentDeclare, WarningState
from shared.relay import load_schemas
from shared.relay.inbound.gateway import WarningGateway
from shared.relay.inbound.warnings import warning_key
from shared.store.models import ExternalWarningRow, Incident
from tests.shared.relay.warning_samples import US_FLOOD, cma_blizzard
from tests.support import until as _until

SENDER = "13110041600000@hebei.weather"


async def test_warnings_reach_the_picture_draft_an_incident_and_are_withdrawn(
    hub_factory: Any, tmp_path: Path
) -> None:
    hub = hub_factory()
    gw_bundle = hub.enroll("met-gw", "gateway")
    officer = hub.enroll("duty-01", "duty-officer")
    key = warning_key(SENDER, "CN-HE-1311-20261125-BLIZ")
    async with (
        HubClient(gw_bundle, tmp_path / "gw.db") as gc,
        HubClient(officer, tmp_path / "o.db") as oc,
        Replica(officer) as r,
    ):
        await gc.wait_online(10)
        await oc.wait_online(10)
        gw = WarningGateway(gc, load_schemas())
        first = await gw.ingest(cma_blizzard(), "met-feed")
        assert first["accepted"] and first["alerts"][0]["stored"] is True
        again = await gw.ingest(cma_blizzard(), "met-feed")  # the feed polled again
        assert again["alerts"][0]["stored"] is True
        far = await gw.ingest(US_FLOOD, "us-feed")
        assert far["accepted"]
        await _until(lambda: r.get("warning", key) is not None and len(r.items["warning"]) == 2)
        w = r.get("warning", key)
        assert isinstance(w, WarningState) and w.touches_city and w.draft is not None
        assert w.draft.type_code == "snow_cold" and w.device == "met-gw"
        us = next(v for v in r.items["warning"].values() if v.cap_sender != SENDER)
        assert not us.touches_city and us.draft is None

        # the duty officer confirms the draft as an incident, once
        d = w.draft
        declare = oc.make(
            IncidentDeclare,
            incident_id="SNOW-1",
            title=d.title,
            lat=d.lat,
            lon=d.lon,
            type_code=d.type_code,
            from_draft=f"warning:{key}",
        )
        assert await oc.submit_and_wait(declare, 10) is None
        await _until(lambda: r.get("warning", key).confirmed_as == "SNOW-1")
        twice = oc.make(
            IncidentDeclare,
            incident_id="SNOW-2",
            title=d.title,
            lat=d.lat,
            lon=d.lon,
            from_draft=f"warning:{key}",
        )
        refused = await oc.submit_and_wait(twice, 10)
        assert refused is not None and "already confirmed as SNOW-1" in refused.detail

        # an Update replaces it, a Cancel withdraws the update
        ref = f"{SENDER},CN-HE-1311-20261125-BLIZ,2026-11-25T08:00:00+08:00"
        upd = await gw.ingest(
            cma_blizzard("CN-HE-1311-20261125-BLIZ-2", msg_type="Update", references=ref), "f"
        )
        assert upd["accepted"]
        key2 = warning_key(SENDER, "CN-HE-1311-20261125-BLIZ-2")
        await _until(lambda: r.get("warning", key) is None and r.get("warning", key2) is not None)
        ref2 = f"{SENDER},CN-HE-1311-20261125-BLIZ-2,2026-11-25T08:00:00+08:00"
        cancel = await gw.ingest(
            cma_blizzard("CN-HE-1311-20261125-BLIZ-3", msg_type="Cancel", references=ref2), "f"
        )
        assert cancel["accepted"]
        await _until(lambda: r.get("warning", key2) is None)
    with hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ExternalWarningRow)).scalar_one() == 4
        assert (
            conn.execute(
                select(Incident.draft_of).where(Incident.incident_id == "SNOW-1")
            ).scalar_one()
            == f"warning:{key}"
        )


async def test_a_restarted_hub_shows_only_warnings_in_force(
    hub_factory: Any, tmp_path: Path
) -> None:
    # the hub's clock starts at the real now (messages carry real times, checked against it)
    start = datetime.now(UTC).replace(microsecond=0)
    clock = {"now": start}
    hub = hub_factory(wall_clock=lambda: clock["now"])
    gw_bundle = hub.enroll("met-gw", "gateway")
    async with HubClient(gw_bundle, tmp_path / "gw.db") as gc:
        await gc.wait_online(10)
        gw = WarningGateway(gc, None, clock=lambda: clock["now"])
        ends = (start + timedelta(hours=3)).astimezone(timezone(timedelta(hours=8)))
        short = cma_blizzard("SHORT", expires=ends.isoformat())
        assert (await gw.ingest(short, "f"))["accepted"]
        assert (await gw.ingest(cma_blizzard("LONG"), "f"))["accepted"]
    await _until(lambda: len(hub.hub.state.topics["warning"].items) == 2)
    clock["now"] = start + timedelta(hours=3, minutes=1)  # the short one has expired
    await _until(lambda: len(hub.hub.state.topics["warning"].items) == 1)
    hub.hub.stop()
    again = hub_factory(db_url=str(hub.engine.url), wall_clock=lambda: clock["now"])
    assert list(again.hub.state.topics["warning"].items) == [warning_key(SENDER, "LONG")]


def test_the_ingest_command_says_per_file_what_it_did(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.support import running_hub

    good, bad, hostile = tmp_path / "good.xml", tmp_path / "bad.xml", tmp_path / "evil.xml"
    good.write_bytes(cma_blizzard())
    bad.write_bytes(cma_blizzard(status="Test"))
    hostile.write_bytes(b'<!DOCTYPE a [<!ENTITY e SYSTEM "http://203.0.113.5/x">]><a>&e;</a>')
    cmd = [sys.executable, "-m", "command_center", "warnings", "ingest"]
    res = subprocess.run(
        [*cmd, str(good), str(bad), str(hostile), str(tmp_path / "missing.xml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert [(line["accepted"], line["source"].rsplit("/", 1)[1]) for line in lines] == [
        (True, "good.xml"),
        (False, "bad.xml"),
        (False, "evil.xml"),
        (False, "missing.xml"),
    ]
    assert "status Test" in lines[1]["reason"] and "DOCTYPE" in lines[2]["reason"]
    assert "cannot read" in lines[3]["reason"]

    data = tmp_path / "hub"
    data.mkdir()
    with running_hub(data) as hub:
        gw = data / "gw.json"
        assert (
            hub.cli("enroll", "--name", "met-gw", "--role", "gateway", "--out", str(gw)).returncode
            == 0
        )
        drop = tmp_path / "drop"
        drop.mkdir()
        (drop / "a.xml").write_bytes(cma_blizzard())
        (drop / "b.xml").write_bytes(cma_blizzard(status="Draft"))
        old = time.time() - 5
        for f in drop.iterdir():
            os.utime(f, (old, old))
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "command_center",
                "warnings",
                "watch",
                str(drop),
                "--once",
                "--bundle",
                str(gw),
                "--outbox",
                str(tmp_path / "gw-outbox.db"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = [json.loads(line) for line in res.stdout.splitlines()]
        assert [line["accepted"] for line in lines] == [True, False], res.stderr
        assert lines[0]["alerts"][0]["stored"] is True
        assert (drop / "done" / "a.xml").exists() and (drop / "rejected" / "b.xml").exists()
        assert "status Draft" in (drop / "rejected" / "b.xml.reason.txt").read_text()
        # A bundle the hub refuses (not a gateway's): not "accepted", and a failing exit.
        field = data / "field.json"
        res = hub.cli("enroll", "--name", "f-1", "--role", "field", "--out", str(field))
        assert res.returncode == 0
        res = subprocess.run(
            [
                sys.executable, "-m", "command_center", "warnings", "ingest",
                str(drop / "done" / "a.xml"), "--bundle", str(field),
                "--outbox", str(tmp_path / "f-outbox.db"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )  # fmt: skip
        line = json.loads(res.stdout.splitlines()[-1])
        assert res.returncode == 1 and line["accepted"] is False, res.stdout
        assert "refused by the hub" in line["reason"]
