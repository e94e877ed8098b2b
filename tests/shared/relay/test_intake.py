"""The department intake over mutual TLS against a real hub: a department platform reports,
answers an order and reads its orders as its liaison; retries are stored once; bad bodies,
unknown certificates and refusals are answered with the reason; the OpenAPI description
matches what is decoded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from shared.client import HubClient, Replica, issue_order
from shared.identity.pki import init_test_pki, issue
from shared.protocol import IncidentDeclare, ResourceUpsert
from shared.relay import client_tls
from shared.relay.inbound.intake import Intake, openapi
from shared.sim.province import server_tls
from shared.store.models import Report
from tests.support import until as _until


@pytest.fixture
async def intake(hub: Any, tmp_path: Path) -> AsyncIterator[tuple[Intake, dict, Any]]:
    pki = init_test_pki(tmp_path / "pki")
    pki["fire"] = issue(pki["ca"], tmp_path / "pki", "fire", "fire.dept.hengshui")
    pki["stranger"] = issue(pki["ca"], tmp_path / "pki", "stranger", "water.dept.hengshui")
    liaison = hub.enroll("liaison-fire", "liaison")
    door = Intake({"fire.dept.hengshui": liaison}, tmp_path / "outboxes", timeout_s=5)
    tls = server_tls(pki["ca"].cert, pki["province"].cert, pki["province"].key)
    await door.start("127.0.0.1", 0, tls)
    try:
        yield door, pki, hub
    finally:
        await door.aclose()


def _session(pki: dict, who: str) -> aiohttp.ClientSession:
    tls = client_tls(pki["ca"].cert, pki[who].cert, pki[who].key)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls))


async def test_a_department_platform_reports_and_answers_orders(
    intake: tuple[Intake, dict, Any], tmp_path: Path
) -> None:
    door, pki, hub = intake
    base = f"https://127.0.0.1:{door.port}"
    leader = hub.enroll("leader-1", "leader")
    async with (
        HubClient(leader, tmp_path / "l.db") as lc,
        Replica(leader) as lr,
        _session(pki, "fire") as s,
    ):
        await lc.wait_online(10)
        declare = lc.make(
            IncidentDeclare, incident_id="F-1", title="商场火灾", lat=37.74, lon=115.67
        )
        assert await lc.submit_and_wait(declare, 10) is None
        body = {
            "request_id": "fire-2026-0001",
            "incident_id": "F-1",
            "stage": "initial",
            "title": "消防初报：商场三层起火",
            "text": "已出动5车25人",
            "injured": 2,
            "author": "消防指挥中心",
        }
        for _ in range(2):  # a retry of the same request
            async with s.post(f"{base}/v1/reports", json=body) as r:
                assert r.status == 201, await r.text()
                stored = await r.json()
        assert stored["status"] == "stored"
        await _until(lambda: lr.get("report", stored["message_id"]) is not None)
        rep = lr.get("report", stored["message_id"])
        assert rep.source == "department" and rep.sender == "liaison-fire" and rep.injured == 2

        async with s.get(f"{base}/v1/requests/fire-2026-0001") as r:
            state = await r.json()
            assert r.status == 200 and state["status"] == "stored", state
        async with s.post(f"{base}/v1/reports", json={**body, "dead": 3}) as r:
            # the same request_id with another body: a conflict, not a silent drop
            assert r.status == 409 and "new request_id" in (await r.json())["error"]
        async with s.get(f"{base}/v1/requests/nothing-like-it") as r:
            assert r.status == 404
        async with s.post(f"{base}/v1/reports", json={**body, "stage": "middle"}) as r:
            assert r.status == 400 and "stage" in (await r.json())["error"]
        async with s.post(f"{base}/v1/reports", data=b"{not json") as r:
            assert r.status == 400
        async with s.post(
            f"{base}/v1/reports",
            json={**body, "request_id": "fire-2026-0002", "exercise": True},
        ) as r:  # a drill report on a real incident: the hub's refusal comes back
            assert r.status == 422 and "not an exercise" in (await r.json())["error"]

        order_id, refusal = await issue_order(lc, "liaison-fire", "增派两辆云梯车", "F-1")
        assert refusal is None
        orders: list[dict[str, Any]] = []

        async def listed() -> bool:
            async with s.get(f"{base}/v1/orders") as r:
                orders[:] = await r.json()
            return any(o["order_id"] == order_id for o in orders)

        for _ in range(100):
            if await listed():
                break
            await asyncio.sleep(0.05)
        assert orders[0]["text"] == "增派两辆云梯车" and orders[0]["incident_id"] == "F-1"
        answer = {"request_id": "fire-ans-0001", "state": "acknowledged"}
        async with s.post(f"{base}/v1/orders/{order_id}/answer", json=answer) as r:
            assert r.status == 201, await r.text()
        await _until(lambda: lr.get("order", order_id).state == "acknowledged")
        async with s.post(f"{base}/v1/orders/O-unknown/answer", json=answer) as r:
            assert r.status == 409  # its request_id was the answer to another order
        fresh = {**answer, "request_id": "fire-ans-0002"}
        async with s.post(f"{base}/v1/orders/O-unknown/answer", json=fresh) as r:
            assert r.status == 422
        for state in ("accepted", "en_route", "on_scene", "completed"):
            step = {"request_id": f"fire-ans-{state}", "state": state, "note": "处置完毕"}
            async with s.post(f"{base}/v1/orders/{order_id}/answer", json=step) as r:
                assert r.status == 201, await r.text()
        await _until(lambda: lr.get("order", order_id).state == "completed")
        async with s.post(f"{base}/v1/orders/{order_id}/answer", json=step) as r:
            assert r.status == 201, await r.text()  # a retried final answer: still stored
        assert lr.get("order", order_id).note == "处置完毕"  # the words are kept
        # another department's resource: refused as this department's overreach
        team = lc.make(
            ResourceUpsert,
            resource_id="MED-TEAM-1",
            resource_type="team",
            name="市急救中心一组",
            lat=37.7,
            lon=115.6,
            department="health",
        )
        assert await lc.submit_and_wait(team, 10) is None
        move = {
            "request_id": "fire-res-1",
            "resource_id": "MED-TEAM-1",
            "availability": "unavailable",
        }
        async with s.post(f"{base}/v1/resources/status", json=move) as r:
            assert r.status == 403 and "health" in (await r.json())["error"]
        # a resource nobody knows is answered at once, not queued (even with the hub away)
        dep = door.departments["fire.dept.hengshui"]
        await _until(lambda: "MED-TEAM-1" in dep.replica.items["resource"])
        ghost = {**move, "request_id": "fire-res-2", "resource_id": "NO-SUCH-TEAM"}
        for _ in range(2):  # and a retry gets the same answer
            async with s.post(f"{base}/v1/resources/status", json=ghost) as r:
                assert r.status == 404 and "NO-SUCH-TEAM" in (await r.json())["error"]
        # a department whose key the hub refuses is told so at once, nothing queued
        await asyncio.to_thread(hub.revoke, "liaison-fire", "平台更换")
        await _until(lambda: dep.client.state.value == "refused", 20, what="refused")
        late = {**body, "request_id": "fire-2026-0009"}
        async with s.post(f"{base}/v1/reports", json=late) as r:
            assert r.status == 403 and "enrol the department again" in (await r.json())["error"]
        assert dep.client.queued() == 0
    with hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Report)).scalar_one() == 1


async def test_certificates_without_a_department_are_refused(
    intake: tuple[Intake, dict, Any],
) -> None:
    door, pki, _hub = intake
    async with (
        _session(pki, "stranger") as s,
        s.get(f"https://127.0.0.1:{door.port}/v1/orders") as r,
    ):
        assert r.status == 403 and "water.dept.hengshui" in (await r.json())["error"]
    plain = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            ssl=client_tls(pki["ca"].cert, pki["city"].cert, pki["city"].key)
        )
    )
    async with plain as s, s.get(f"https://127.0.0.1:{door.port}/openapi.json") as r:
        doc = await r.json()
    assert doc == openapi()
    assert doc["openapi"] == "3.1.0" and "/v1/reports" in doc["paths"]
    report = doc["components"]["schemas"]["ReportBody"]
    assert set(report["required"]) == {"request_id", "incident_id", "stage", "title"}
    assert sorted(report["properties"]["stage"]["enum"]) == ["final", "follow_up", "initial"]
