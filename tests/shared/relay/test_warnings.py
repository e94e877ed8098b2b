"""Inbound warnings read from CAP as real services publish it: accepted when valid (Chinese,
US, European, CAP 1.1, in Atom or EDXL-DE), refused with a reason otherwise; a warning over
Hengshui drafts an incident of the right type."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.protocol.messages import ExternalWarning
from shared.relay import Schemas
from shared.relay.inbound.gateway import message_id
from shared.relay.inbound.warnings import draft_for, load_warning_settings, read_document
from tests.shared.relay.warning_samples import (
    CAP10,
    CAP11,
    EU_GEOCODE_ONLY,
    US_FLOOD,
    XXE,
    atom_feed,
    cma_blizzard,
    edxl_wrapped,
)

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def _one(doc: bytes, schemas: Schemas | None):
    [item] = read_document(doc, schemas=schemas, now=NOW, source="test")
    return item


def test_a_blizzard_warning_over_hengshui_drafts_an_incident(schemas: Schemas) -> None:
    item = _one(cma_blizzard(), schemas)
    assert item.accepted and item.reason == "" and item.event == "暴雪"
    msg = ExternalWarning(id=message_id(item.fields, "k"), sender="met-gw", sent=NOW, **item.fields)
    assert msg.severity == "Severe" and msg.areas[0].polygons[0][0] == (37.45, 115.45)
    touches, draft = draft_for(
        msg.areas, msg.event, msg.headline, msg.category, load_warning_settings()
    )
    assert touches and draft is not None
    assert draft.type_code == "snow_cold" and "暴雪橙色预警" in draft.title
    assert 37.45 <= draft.lat <= 37.85 and 115.45 <= draft.lon <= 115.85
    # the same alert always gets the same message id (stored once by the hub)
    assert message_id(_one(cma_blizzard(), schemas).fields, "k") == msg.id
    # keyed: another gateway (another secret) cannot compute it
    assert message_id(item.fields, "other") != msg.id


@pytest.mark.parametrize(
    ("doc", "event", "touches"),
    [
        (US_FLOOD, "Flood Warning", False),
        (EU_GEOCODE_ONLY, "STURMBÖEN", False),
        (CAP11, "地震", True),
        (CAP10, "大风", True),
    ],
)
def test_real_world_shapes_are_accepted(
    schemas: Schemas, doc: bytes, event: str, touches: bool
) -> None:
    item = _one(doc, schemas)
    assert item.accepted, item.reason
    assert item.event == event
    msg = ExternalWarning(id="x", sender="gw", sent=NOW, **item.fields)
    hit, draft = draft_for(
        msg.areas, msg.event, msg.headline, msg.category, load_warning_settings()
    )
    assert hit is touches
    if doc is EU_GEOCODE_ONLY:
        assert item.reason == "no geometry: listed, not drawn"
    if doc is CAP11:
        assert draft is not None and draft.type_code == "earthquake"


def test_feeds_and_envelopes_are_opened(schemas: Schemas) -> None:
    items = read_document(
        atom_feed(cma_blizzard(), "http://10.1.1.1/cap/2.xml"), schemas=schemas, now=NOW
    )
    assert [i.accepted for i in items] == [True, False]
    assert items[1].link == "http://10.1.1.1/cap/2.xml" and "poller" in items[1].reason
    [wrapped] = read_document(edxl_wrapped(US_FLOOD), schemas=schemas, now=NOW)
    assert wrapped.accepted and wrapped.event == "Flood Warning"


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (cma_blizzard(status="Test"), "status Test"),
        (cma_blizzard(msg_type="Ack"), "msgType Ack"),
        (cma_blizzard(expires="2026-11-24T20:00:00+08:00"), "expired at"),
        (cma_blizzard().replace(b"<severity>Severe", b"<severity>Awful"), "severity"),
        (cma_blizzard().replace(b"+08:00</sent>", b"</sent>"), "sent"),
        (XXE, "DOCTYPE"),
        (b"\x89PNG\r\n\x1a\n", "not well-formed"),
        (b"<html><body>maintenance</body></html>", "not CAP, EDXL-DE or Atom"),
        (
            b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>"
            + b"<a>" * 40
            + b"</a>" * 40
            + b"</alert>",
            "deeper",
        ),
    ],
)
def test_bad_and_hostile_documents_are_refused_with_a_reason(
    schemas: Schemas, doc: bytes, reason: str
) -> None:
    item = _one(doc, schemas)
    assert not item.accepted and reason in item.reason, item.reason


@pytest.mark.parametrize(
    ("doc", "version"),
    [
        (cma_blizzard().replace(b"<scope>Public</scope>", b""), "CAP 1.2"),
        (CAP11.replace(b"<scope>Public</scope>", b""), "CAP 1.1"),
        (CAP10.replace(b"<scope>Public</scope>", b"<scope>Everyone</scope>"), "CAP 1.0"),
        (edxl_wrapped(CAP11.replace(b"<status>Actual</status>", b"")), "CAP 1.1"),
    ],
)
def test_every_cap_version_is_checked_against_its_own_schema(
    schemas: Schemas, doc: bytes, version: str
) -> None:
    """A CAP 1.2 alert without its scope (read without validation, it was accepted), and the
    same mistakes in 1.1 and 1.0, bare or in an envelope: refused, naming the schema."""
    item = _one(doc, schemas)
    assert not item.accepted and f"{version} line" in item.reason, item.reason


def test_without_schemas_cap_is_still_read_strictly() -> None:
    item = _one(cma_blizzard().replace(b"<severity>Severe", b"<severity>Awful"), None)
    assert not item.accepted and "severity 'Awful'" in item.reason


async def test_the_poller_reads_a_feed_and_fetches_linked_cap_documents(schemas: Schemas) -> None:
    from aiohttp import web

    from shared.relay.inbound.gateway import WarningGateway
    from tests.support import free_ports

    port = free_ports(1)[0]
    base = f"http://127.0.0.1:{port}"
    hits: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=atom_feed(cma_blizzard(), f"{base}/cap/us.xml"))

    async def linked(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=US_FLOOD)

    app = web.Application()
    app.router.add_get("/feed.atom", feed)
    app.router.add_get("/cap/us.xml", linked)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        gw = WarningGateway(None, schemas, clock=lambda: NOW)
        lines = await gw.poll(f"{base}/feed.atom", once=True)
        missing = await gw.poll(f"{base}/nothing", once=True)
    finally:
        await runner.cleanup()
    assert hits == ["/feed.atom", "/cap/us.xml"]
    assert [a["event"] for a in lines[0]["alerts"]] == ["暴雪", "Flood Warning"]
    assert lines[1]["accepted"] and lines[1]["alerts"][0]["event"] == "Flood Warning"
    assert missing == [
        {"source": f"{base}/nothing", "accepted": False, "reason": "HTTP 404", "alerts": []}
    ]


def test_mutated_documents_never_raise(schemas: Schemas) -> None:
    """Every byte of a real alert changed in turn, and every prefix: each document is read
    or refused with a reason (a damaged CAP file once stopped the watcher for good)."""
    from shared.relay.inbound.warnings import read_document

    now = datetime(2026, 11, 28, tzinfo=UTC)
    doc = cma_blizzard()
    refused = 0
    for i in range(0, len(doc), 3):
        for b in (0x00, 0x3C, 0xF2, doc[i] ^ 0x20):
            found = read_document(doc[:i] + bytes([b]) + doc[i + 1 :], schemas=schemas, now=now)
            assert found and all(isinstance(f.reason, str) for f in found)
            refused += sum(not f.accepted for f in found)
        found = read_document(doc[:i], schemas=schemas, now=now)
        assert found
    assert refused > 100


async def test_the_watcher_moves_a_damaged_file_aside_and_reads_the_next(
    tmp_path: Path, schemas: Schemas
) -> None:
    import os
    import time

    from shared.relay.inbound.gateway import WarningGateway

    drop = tmp_path / "drop"
    drop.mkdir()
    good = cma_blizzard()
    # a CAP file whose namespace declaration is damaged: it parsed, then failed re-parsing
    (drop / "a-damaged.xml").write_bytes(good.replace(b"xmlns=", b"xmlns:=", 1))
    (drop / "b-bytes.xml").write_bytes(good[:200] + b"\xf2\x00\xff" + good[203:])
    (drop / "c-good.xml").write_bytes(good)
    old = time.time() - 5
    for f in drop.iterdir():
        os.utime(f, (old, old))
    gw = WarningGateway(None, schemas, lambda: datetime(2026, 11, 28, tzinfo=UTC))
    lines = await gw.watch(drop, once=True)
    assert [line["accepted"] for line in lines] == [False, False, True]
    assert sorted(p.name for p in (drop / "rejected").iterdir() if p.suffix == ".xml") == [
        "a-damaged.xml",
        "b-bytes.xml",
    ]
    assert (drop / "done" / "c-good.xml").exists()
