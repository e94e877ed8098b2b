"""Every message kind, every field, the edge values of its type, through a real hub.

A frame can be perfectly typed and still carry a value the record cannot hold: a date at
the calendar's edge, a control character XML cannot carry, a float that is not a number.
For each request kind a minimal valid message is built from its type; then each of its
fields (and the fields of structs inside it) is given each edge value of its type and sent
by a device allowed to send that kind. The hub must refuse every one ``invalid`` naming the
field, store nothing of them, and stay whole: it answers, serves its picture, and its store
loads again as a restarted hub would load it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec
import pytest
from msgspec import inspect as mi
from sqlalchemy import text

from fuzz.edges import NOW, REQUEST_KINDS, SENDER, cases, leaves
from shared.client import HubClient, Replica
from shared.hub.load import load_state
from shared.hub.state import StateStore
from shared.identity import load_bundle
from shared.identity.roles import PERMISSIONS
from shared.protocol import (
    Error,
    Ping,
    Pong,
    PositionReport,
    decode_reply,
    encode,
    new_id,
    utcnow,
)
from shared.protocol.values import ValueRules, value_problem
from shared.store import open_engine, sqlite_url
from tests.conftest import HubHandle
from tests.support import HubProcess, RawPeer, declare

CASES = cases()


def test_the_cases_cover_every_kind_with_a_time_or_text_field() -> None:
    kinds = {kind for kind, *_ in CASES}
    with_fields = {
        kind
        for kind, cls in REQUEST_KINDS.items()
        if any(
            leaves(f.type)
            for f in mi.type_info(cls).fields  # type: ignore[attr-defined]
            if f.name not in ("id", "sender")
        )
    }
    assert kinds == with_fields and len(kinds) >= 30  # sent is in every kind
    assert len(CASES) > 300


def test_every_edge_value_breaks_a_rule() -> None:
    """The table alone: each case, decoded as the hub decodes it, is named by the rules."""
    for kind, field, edge, raw in CASES:
        frame = msgspec.msgpack.encode({"kind": kind, **raw})
        try:
            msg = msgspec.msgpack.decode(frame, type=REQUEST_KINDS[kind])
        except msgspec.ValidationError:
            continue  # refused by type already (a NaN latitude): the hub says so too
        problem = value_problem(msg, NOW, ValueRules())
        assert problem is not None and problem.field.split("[")[0].split(".")[0] == field, (
            kind,
            field,
            edge,
        )


def _role(kind: str) -> str:
    return PERMISSIONS.allowed_roles(kind)[0]


@pytest.fixture
def edge_hub(hub_factory: Any) -> HubHandle:
    # hundreds of refusals in a row: the discipline that would throttle such a device is
    # tested elsewhere; here every frame must get its own answer
    hub: HubHandle = hub_factory(abuse_throttle_after=10**6, abuse_cutoff_after=10**6)
    for role in sorted({_role(kind) for kind in REQUEST_KINDS}):
        hub.enroll(f"{SENDER}-{role}", role)
    return hub


def test_the_hub_refuses_every_edge_value_naming_the_field_and_stays_whole(
    edge_hub: HubHandle,
) -> None:
    hub = edge_hub
    peers = {name: RawPeer(b) for name, b in hub.bundles.items()}
    answers: dict[str, int] = {}
    try:
        for name, peer in peers.items():
            assert _ping(peer, name)  # the key is known
        for kind, field, edge, raw in CASES:
            sender = f"{SENDER}-{_role(kind)}"
            raw = {**raw, "id": new_id(), "sender": sender, "sent": utcnow().isoformat()}
            if field == "sent":
                raw["sent"] = _edge_value(kind, field, edge)
            peer = peers[sender]
            peer.send(msgspec.msgpack.encode({"kind": kind, **raw}))
            reply = decode_reply(peer.recv(timeout=30) or b"")
            assert isinstance(reply, Error), (kind, field, edge, reply)
            answers[reply.code] = answers.get(reply.code, 0) + 1
            assert reply.code == "invalid", (kind, field, edge, reply)
            # named: the field, and never the whole bad value
            assert field in reply.detail and len(reply.detail) <= 1000, (kind, field, reply)
        for name, peer in peers.items():
            assert _ping(peer, name)  # still answering
    finally:
        for peer in peers.values():
            peer.close()
    assert answers.get("invalid", 0) > 300
    # nothing of it stored: the store loads as a restarted hub would load it
    state = StateStore()
    load_state(hub.engine, state)
    assert not state.topics["unit"].items and not state.topics["incident"].items


def _edge_value(kind: str, field: str, edge: str) -> Any:
    for k, f, e, raw in CASES:
        if (k, f, e) == (kind, field, edge):
            return raw[field]
    raise KeyError(edge)


def _ping(peer: RawPeer, sender: str) -> bool:
    peer.send(encode(Ping(id=new_id(), sender=sender, sent=utcnow())))
    return isinstance(decode_reply(peer.recv(timeout=30) or b""), Pong)


async def test_a_poison_row_from_before_is_quarantined_and_the_hub_starts(tmp_path: Path) -> None:
    """A store written before the value rules (a fix at the calendar's end, a title holding a
    vertical tab): ``serve`` starts, leaves those rows out of the picture — as they are in the
    store — raises an alarm naming each and audits it, and serves everything else."""
    data = tmp_path / "hub"
    data.mkdir()
    hub = HubProcess(data)
    hub.start()
    try:
        bundle = data / "leader.json"
        res = hub.cli("enroll", "--name", "leader-1", "--role", "leader", "--out", str(bundle))
        assert res.returncode == 0, res.stderr
        async with HubClient(load_bundle(bundle), tmp_path / "ob.db") as client:
            await client.wait_online(30)
            await declare(client, "HZ-GOOD", "HZ-BAD")
            for unit in ("U-GOOD", "U-BAD"):
                fix = client.make(
                    PositionReport, unit_id=unit, lat=37.7, lon=115.7, fix_time=utcnow()
                )
                assert await client.submit_and_wait(fix, 30) is None
    finally:
        hub.stop()
    engine = open_engine(sqlite_url(data / "hub.db"))
    try:
        with engine.begin() as conn:  # what an older hub let in
            conn.execute(
                text("UPDATE positions SET fix_time = :t WHERE unit_id = 'U-BAD'"),
                {"t": 253402351199000000},  # 9999-12-31T23:59:59-14:00, in µs since 1970
            )
            conn.execute(
                text("UPDATE incidents SET title = :t WHERE incident_id = 'HZ-BAD'"),
                {"t": "堤坝\x0b决口"},
            )
        hub.start()  # before: OverflowError in load_state, exit code 1, the city dark
        try:
            async with Replica(load_bundle(bundle), topics=("alarm", "incident", "unit")) as r:
                await asyncio.wait_for(r.synced.wait(), 30)
                alarms = {k: a for k, a in r.items["alarm"].items() if k.startswith("quarantine:")}
                assert set(alarms) == {"quarantine:unit:U-BAD", "quarantine:incident:HZ-BAD"}
                assert "9999" in alarms["quarantine:unit:U-BAD"].detail
                assert "U+000B" in alarms["quarantine:incident:HZ-BAD"].detail
                assert r.get("incident", "HZ-GOOD") is not None
                assert r.get("incident", "HZ-BAD") is None
                assert r.get("unit", "U-GOOD") is not None and r.get("unit", "U-BAD") is None
            assert hub.cli("audit", "verify").returncode == 0
        finally:
            hub.stop()
        with engine.connect() as conn:
            # nothing stored was changed: the rows wait, as they were, for someone to mend them
            title = conn.execute(
                text("SELECT title FROM incidents WHERE incident_id = 'HZ-BAD'")
            ).scalar()
            actions = (
                conn.execute(text("SELECT subject FROM audit_log WHERE action = 'quarantine'"))
                .scalars()
                .all()
            )
        assert title == "堤坝\x0b决口"
        assert set(actions) == {"unit:U-BAD", "incident:HZ-BAD"}
    finally:
        engine.dispose()


async def test_what_a_person_pastes_is_cleaned_by_our_own_applications(
    hub: HubHandle, tmp_path: Path
) -> None:
    """The same vertical tab from a device of ours is a line break, stored and shown."""
    from shared.protocol import SituationReport

    async with HubClient(hub.enroll("team-1", "field"), tmp_path / "ob.db") as client:
        await client.wait_online(30)
        await declare(client, "HZ-1")
        report = client.make(
            SituationReport,
            incident_id="HZ-1",
            stage="initial",
            title="堤坝\x0b渗水\x00",
            text="a\x0cb",
        )
        assert (report.title, report.text) == ("堤坝\n渗水", "a\nb")
        assert await client.submit_and_wait(report, 30) is None


def test_no_device_can_make_another_devices_message_vanish(hub: HubHandle) -> None:
    """A stolen device sends under an id another device will use (derived ids are keyed now,
    but any id copied off the wire will do): the other's message is refused ``conflict`` and
    audited — never answered ``duplicate`` as if it were stored — and the thief's own resend
    is still its duplicate."""
    from shared.protocol import Ack, SituationReport

    thief = RawPeer(hub.enroll("stolen", "field"))
    owner = RawPeer(hub.enroll("dp-intake", "liaison"))
    try:
        _ping(thief, "stolen")
        _ping(owner, "dp-intake")
        shared_id = "dp" + "0" * 40

        def report(sender: str, title: str) -> bytes:
            return encode(
                SituationReport(
                    id=shared_id, sender=sender, sent=utcnow(), incident_id="HZ-1",
                    stage="initial", title=title,
                )
            )  # fmt: skip

        from tests.support import raw_declare

        raw_declare(thief, "stolen", "HZ-1")
        thief.send(report("stolen", "抢先"))
        assert isinstance(decode_reply(thief.recv(30) or b""), Ack)
        owner.send(report("dp-intake", "部门上报"))
        answer = decode_reply(owner.recv(30) or b"")
        assert isinstance(answer, Error) and answer.code == "conflict", answer
        assert "another device" in answer.detail
        thief.send(report("stolen", "抢先"))
        again = decode_reply(thief.recv(30) or b"")
        assert isinstance(again, Ack) and again.status == "duplicate"
    finally:
        thief.close()
        owner.close()
    with hub.engine.connect() as conn:
        audited = (
            conn.execute(text("SELECT actor FROM audit_log WHERE action = 'id_conflict'"))
            .scalars()
            .all()
        )
    assert audited == ["dp-intake"]


@pytest.mark.postgres
async def test_on_postgresql_an_unreadable_part_costs_that_part_only(
    hub_factory: Any, postgres: Any, tmp_path: Path
) -> None:
    """PostgreSQL keeps a time past year 9999 that Python cannot read: the positions' query
    fails as a whole, so the units are quarantined as a part, alarmed, and the incidents after
    them still load (the load also rolls back after a failed part, for errors the server
    itself raises: PostgreSQL refuses every later query of an aborted transaction)."""
    url = postgres.new_database()
    first = hub_factory(db_url=url)
    leader = first.enroll("leader-1", "leader")
    async with HubClient(leader, tmp_path / "ob.db") as client:
        await client.wait_online(30)
        await declare(client, "HZ-PG")
        fix = client.make(PositionReport, unit_id="U-PG", lat=37.7, lon=115.7, fix_time=utcnow())
        assert await client.submit_and_wait(fix, 30) is None
    first.hub.stop()
    with first.engine.begin() as conn:
        conn.execute(text("UPDATE positions SET fix_time = '20000-01-01T00:00:00+00'"))
    again = hub_factory(db_url=url)
    items = again.hub.state.topics
    assert "HZ-PG" in items["incident"].items and not items["unit"].items
    assert "quarantine:unit" in items["alarm"].items
