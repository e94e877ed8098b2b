"""The client core: retry after a store failure, outbox order and idempotency."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from shared.client import HubClient, LinkState, Outbox
from shared.protocol import Error, SituationReport
from tests.conftest import HubHandle
from tests.support import declare, loose_bundle, until


async def test_a_store_failure_is_retried_without_a_reconnect(
    hub: HubHandle, tmp_path: Path
) -> None:
    bundle = hub.enroll("fire-01", "field")
    errors: list[Error] = []
    states: list[LinkState] = []
    async with HubClient(bundle, tmp_path / "ob.db") as c:
        c.on_error.append(errors.append)
        await c.wait_online(10)
        await declare(c, "I-1")
        c.on_state.append(states.append)
        db = sqlite3.connect(hub.data_dir / "hub.db", isolation_level=None)
        db.execute("ALTER TABLE reports RENAME TO reports_away")  # the store now fails fast
        report = c.make(SituationReport, incident_id="I-1", stage="initial", title="初报")
        await c.submit(report)
        for _ in range(100):
            if errors:
                break
            await asyncio.sleep(0.02)
        db.execute("ALTER TABLE reports_away RENAME TO reports")
        db.close()
        assert [e.code for e in errors] == ["store_unavailable"]
        assert await c.drain(10)
        held = await c.query_inbox([report.id])
    assert held == {report.id: 1}
    assert LinkState.OFFLINE not in states  # retried on the live link, not after a reconnect


def test_outbox_keeps_order_and_ignores_repeated_ids(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    assert box.add([("a", "report", b"1"), ("b", "report", b"2")]) == 2
    assert box.add([("a", "report", b"1"), ("c", "report", b"3")]) == 1
    assert [r[1] for r in box.after(0, 10)] == ["a", "b", "c"]
    box.remove(["b"])
    rows = box.after(0, 10)
    assert [r[1] for r in rows] == ["a", "c"]
    assert [r[1] for r in box.after(rows[0][0], 10)] == ["c"]
    box.remove(["b", "zzz"])  # ids no longer (or never) held count for nothing
    assert box.count() == len(box.after(0, 10)) == 2
    box.close()
    reopened = Outbox(tmp_path / "o.db")
    assert reopened.count() == 2
    reopened.close()


async def test_closing_while_a_refused_key_waits_to_retry_is_clean(
    hub: HubHandle, tmp_path: Path
) -> None:
    bundle = hub.enroll("old-laptop", "field")
    hub.revoke("old-laptop", reason="lost")
    client = HubClient(bundle, tmp_path / "o.db")
    await client.start()
    await until(lambda: client.state is LinkState.REFUSED, what="the refusal")
    # inside the back-off: the refused socket is already closed, the watcher sleeping
    await until(lambda: client._sock is not None and client._sock.closed, what="back-off")
    await client.aclose()  # must not raise
    assert client.state is LinkState.CLOSED


async def test_an_sos_overtakes_what_the_outbox_holds(hub: HubHandle, tmp_path: Path) -> None:
    """With thousands of positions queued before it (one in flight at a time), an SOS
    reaches the hub while most of them still wait; it stays durable until acknowledged."""
    from shared.client import Replica
    from shared.protocol import Emergency, PositionReport, utcnow

    field = hub.enroll("fire-07", "field")
    hall = hub.enroll("hall-1", "leader")
    async with (
        HubClient(field, tmp_path / "ob.db", window=1) as c,
        Replica(hall, topics=("emergency",)) as r,
    ):
        await c.wait_online(10)
        backlog = [
            c.make(PositionReport, unit_id="U-1", lat=37.7, lon=115.6, fix_time=utcnow())
            for _ in range(3000)
        ]
        await c.submit(*backlog)
        sos = c.make(Emergency, alert_id="SOS-1", callsign="消防七中队")
        await c.submit(sos)
        await until(lambda: r.get("emergency", "SOS-1") is not None, 10, 0.005, "the SOS")
        assert c.queued() > 1000  # most of the backlog still waits behind it
        assert await c.drain(60)
        held = await c.query_inbox([sos.id])
    assert held == {sos.id: 1}


async def test_the_reconnect_interval_asked_for_is_the_one_used(tmp_path: Path) -> None:
    """Field sessions ask for 250 ms (links that drop); it was never passed to the socket,
    which reconnected every 1–2 s."""
    async with HubClient(loose_bundle(), tmp_path / "o.db", reconnect_ms=250) as client:
        assert client._sock is not None and client._sock.reconnect_ivl == 250
    async with HubClient(loose_bundle(), tmp_path / "p.db") as client:
        assert client._sock is not None and client._sock.reconnect_ivl == 1000
