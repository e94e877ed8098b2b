"""The department intake against hostile clients: bodies that are not UTF-8, slow drips,
too many connections, refused certificates — each answered or cut, logged, and counted,
while a well-behaved department is still served."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.identity.pki import init_test_pki, issue, make_ca
from shared.relay import client_tls
from shared.relay.inbound.guarded_http import HttpLimits
from shared.relay.inbound.intake import Intake
from shared.sim.province import server_tls
from tests.support import until


@pytest.fixture
async def door(hub: Any, tmp_path: Path) -> AsyncIterator[tuple[Intake, dict[str, Any]]]:
    pki: dict[str, Any] = dict(init_test_pki(tmp_path / "pki"))
    pki["fire"] = issue(pki["ca"], tmp_path / "pki", "fire", "fire.dept.hengshui")
    pki["expired"] = issue(
        pki["ca"],
        tmp_path / "pki",
        "expired",
        "fire.dept.hengshui",
        days=1,
        not_before=datetime.now(UTC) - timedelta(days=10),
    )
    other = make_ca(tmp_path / "other", "Some other CA")
    pki["foreign"] = issue(other, tmp_path / "other", "foreign", "fire.dept.hengshui")
    liaison = hub.enroll("liaison-fire", "liaison")
    limits = HttpLimits(
        max_connections=40, max_per_peer=30, request_timeout_s=1.0, body_timeout_s=1.0
    )
    intake = Intake({"fire.dept.hengshui": liaison}, tmp_path / "ob", timeout_s=5, limits=limits)
    tls = server_tls(pki["ca"].cert, pki["province"].cert, pki["province"].key)
    await intake.start("127.0.0.1", 0, tls)
    try:
        yield intake, pki
    finally:
        await intake.aclose()


def _ctx(pki: dict[str, Any], who: str | None) -> ssl.SSLContext:
    if who is None:
        ctx = ssl.create_default_context(cafile=str(pki["ca"].cert))
        return ctx
    return client_tls(pki["ca"].cert, pki[who].cert, pki[who].key)


async def _orders_ok(port: int, pki: dict[str, Any]) -> None:
    tls = _ctx(pki, "fire")
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls)) as s,
        s.get(f"https://127.0.0.1:{port}/v1/orders") as r,
    ):
        assert r.status == 200, await r.text()


async def test_a_body_that_is_not_utf8_gets_a_400_naming_it(
    door: tuple[Intake, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    intake, pki = door
    raw = (
        b'{"request_id": "fire-0001", "incident_id": "F-1", "stage": "initial", '
        b'"title": "\xf2\x80abc"}'
    )
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_ctx(pki, "fire"))) as s,
        s.post(
            f"https://127.0.0.1:{intake.port}/v1/reports",
            data=raw,
            headers={"Content-Type": "application/json"},
        ) as r,
    ):
        assert r.status == 400
        body = await r.json()
    assert "UTF-8" in body["error"] and "0xf2" in body["error"]
    assert "Traceback" not in caplog.text
    await _orders_ok(intake.port, pki)


async def _drip(port: int, pki: dict[str, Any], stop: asyncio.Event) -> str:
    """A client that sends a request one byte at a time; returns how it ended."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=_ctx(pki, "fire"), server_hostname="127.0.0.1"
    )
    request = b"GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    try:
        for i in range(len(request)):
            if stop.is_set():
                return "stopped"
            writer.write(request[i : i + 1])
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1), 0.2)
            except TimeoutError:
                continue
            return "closed" if not data else "answered"
        return "finished"
    except (ConnectionError, ssl.SSLError):
        return "closed"
    finally:
        writer.close()


async def test_slow_drip_clients_are_cut_and_others_served(
    door: tuple[Intake, dict[str, Any]],
) -> None:
    intake, pki = door
    assert intake.server is not None
    stop = asyncio.Event()
    drips = [asyncio.create_task(_drip(intake.port, pki, stop)) for _ in range(20)]
    await until(lambda: intake.server is not None and intake.server.open_connections >= 20, 10)
    await _orders_ok(intake.port, pki)  # served while they drip
    ends = await asyncio.wait_for(asyncio.gather(*drips), 15)
    stop.set()
    assert ends.count("closed") == 20, ends
    assert intake.server.stats.timed_out >= 20
    await until(lambda: intake.server is not None and intake.server.open_connections == 0, 5)
    await _orders_ok(intake.port, pki)


async def test_connections_over_the_limit_are_refused_and_others_still_served(
    door: tuple[Intake, dict[str, Any]],
) -> None:
    intake, pki = door
    assert intake.server is not None
    held = []
    for _ in range(30):  # max_per_peer: all from 127.0.0.1
        held.append(await asyncio.open_connection("127.0.0.1", intake.port))
    await until(lambda: intake.server is not None and intake.server.open_connections == 30, 5)
    reader, writer = await asyncio.open_connection("127.0.0.1", intake.port)
    assert await asyncio.wait_for(reader.read(10), 5) == b""  # closed at once
    writer.close()
    assert intake.server.stats.refused_limit >= 1
    for _, w in held:
        w.close()
    await until(lambda: intake.server is not None and intake.server.open_connections == 0, 5)
    await _orders_ok(intake.port, pki)


@pytest.mark.parametrize(
    "who, reason",
    [
        (None, "CERTIFICATE"),  # no client certificate
        ("expired", "CERTIFICATE_VERIFY_FAILED"),
        ("foreign", "CERTIFICATE_VERIFY_FAILED"),
    ],
)
async def test_refused_certificates_are_logged_with_the_reason(
    door: tuple[Intake, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    who: str | None,
    reason: str,
) -> None:
    intake, pki = door
    assert intake.server is not None
    caplog.set_level(logging.WARNING, logger="shared.relay.inbound.guarded_http")
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_ctx(pki, who))) as s,
            s.get(f"https://127.0.0.1:{intake.port}/v1/orders") as r,
        ):
            await r.read()
    await until(lambda: sum(intake.server.stats.tls_refused.values()) >= 1, 5)  # type: ignore[union-attr]
    reasons = list(intake.server.stats.tls_refused)
    assert any(reason in r for r in reasons), reasons
    assert "TLS handshake with 127.0.0.1 refused" in caplog.text
    if who == "expired":
        assert "expired" in caplog.text
    await _orders_ok(intake.port, pki)
