"""The client's sender against the in-memory link (no sockets, no hub): the outbox, the
resend cursor, acknowledgements and reconnections, each case played step by step by the test
as the hub. The last three tests are the three sender fixes found by integration tests
failing now and then; each fails when its fix is taken out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.client import HubClient, LinkState
from shared.client.memory_link import MemoryLink
from shared.protocol import Error, Ping, PositionReport
from tests.support import loose_bundle, until

WAIT_S = 3.0
"""Every condition here is met in milliseconds; the bound only ends a failing test."""


@asynccontextmanager
async def _online(tmp_path: Path, link: MemoryLink, **kw: Any) -> AsyncIterator[HubClient]:
    """A started client on ``link``, online (the hub answered it). Its heartbeat is an hour:
    nothing happens on a timer, every step is the test's."""
    client = HubClient(
        loose_bundle(), tmp_path / "outbox.db", heartbeat_s=3600, connect=link.connect, **kw
    )
    await client.start()
    try:
        link.pong()
        await client.wait_online(WAIT_S)
        yield client
    finally:
        await client.aclose()


def _position(client: HubClient, n: int = 0) -> PositionReport:
    return client.make(
        PositionReport, unit_id="U-1", lat=37.7 + n / 1000, lon=115.7, fix_time=datetime.now(UTC)
    )


class _HeldReads:
    """Holds the client's outbox reads at a gate once :meth:`hold` is called, so the test
    can act while a read is under way (as a message submitted, or a reconnection, may)."""

    def __init__(self, client: HubClient) -> None:
        self._real = client._read_outbox
        self.gate = asyncio.Event()
        self.gate.set()
        self.reading = asyncio.Event()
        self._empty_only = False
        client._read_outbox = self._read  # type: ignore[method-assign]

    def hold(self, *, empty_only: bool = False) -> None:
        """Hold the next read (``empty_only``: the next that finds nothing to send)."""
        self.gate.clear()
        self.reading.clear()
        self._empty_only = empty_only

    async def _read(self, cursor: int, limit: int) -> list[tuple[int, str, bytes]]:
        rows = await self._real(cursor, limit)
        if not self.gate.is_set() and not (self._empty_only and rows):
            self.reading.set()
            await self.gate.wait()
        return rows


async def test_sent_in_order_acknowledged_and_forgotten(tmp_path: Path) -> None:
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        reports = [_position(client, n) for n in range(5)]
        await client.submit(*reports)
        ids = [r.id for r in reports]
        await until(lambda: link.ids() == ids, WAIT_S, what="all five sent, in order")
        assert client.queued() == 5
        link.ack(*ids)
        await until(lambda: client.queued() == 0, WAIT_S, what="the acknowledgements")
        assert await client.drain(WAIT_S)
        assert client.outbox.count() == 0


async def test_what_was_in_flight_is_resent_after_the_link_comes_back(tmp_path: Path) -> None:
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        first = _position(client, 1)
        await client.submit(first)
        await until(lambda: link.ids() == [first.id], WAIT_S, what="the first report")
        link.cut()
        second = _position(client, 2)
        await client.submit(second)  # while the link is down: it waits in the outbox
        assert client.queued() == 2
        pings = len(link.ids(Ping))
        link.restore()
        # a new connection: the client asks at once whether the hub hears it, and sends
        # again what was in flight on the old one, oldest first, then the rest
        await until(
            lambda: link.ids() == [first.id, first.id, second.id], WAIT_S, what="the resend"
        )
        assert len(link.ids(Ping)) == pings + 1
        link.ack(first.id, second.id)
        await until(lambda: client.queued() == 0, WAIT_S, what="the acknowledgements")


async def test_a_final_refusal_leaves_the_outbox_and_is_told(tmp_path: Path) -> None:
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        told: list[Error] = []
        client.on_error.append(told.append)
        bad, good = _position(client, 1), _position(client, 2)
        await client.submit(bad, good)
        await until(lambda: link.ids() == [bad.id, good.id], WAIT_S, what="both sent")
        link.refuse(bad.id, "invalid", "lat out of range")
        link.ack(good.id)
        await until(lambda: client.queued() == 0, WAIT_S, what="nothing left to send")
        assert [(e.ref, e.code) for e in told] == [(bad.id, "invalid")]
        link.restore()  # a reconnection resends nothing: both are done
        await until(lambda: len(link.ids(Ping)) >= 1, WAIT_S, what="the reconnect ping")
        assert link.ids() == [bad.id, good.id]


async def test_a_refused_key_is_tried_again_on_a_fresh_connection(tmp_path: Path) -> None:
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        report = _position(client)
        await client.submit(report)
        await until(lambda: link.ids() == [report.id], WAIT_S, what="the report")
        link.refuse_key()
        await until(lambda: client.state is LinkState.REFUSED, WAIT_S, what="refused")
        # after the first back-off (1 s) a fresh connection, whose handshake succeeds
        await until(lambda: link.connections == 2, WAIT_S, what="a fresh connection")
        await until(lambda: client.state is LinkState.CONNECTING, WAIT_S, what="connecting")
        link.pong()
        await until(lambda: link.ids() == [report.id] * 2, WAIT_S, what="the report resent")
        assert client.state is LinkState.ONLINE
        link.ack(report.id)
        await until(lambda: client.queued() == 0, WAIT_S, what="the acknowledgement")


# --- the three sender fixes -------------------------------------------------------------------


async def test_a_message_submitted_while_the_outbox_is_read_is_not_slept_over(
    tmp_path: Path,
) -> None:
    """The sender cleared its wake-up after reading the outbox, losing the one a message
    submitted during the read had set: having read nothing to send, it then waited for some
    later event (ba72ff2)."""
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        held = _HeldReads(client)
        held.hold(empty_only=True)
        first = _position(client, 1)
        await client.submit(first)
        # sent, the sender reads on and finds nothing more: that read is held
        await asyncio.wait_for(held.reading.wait(), WAIT_S)
        assert link.ids() == [first.id]
        second = _position(client, 2)
        await client.submit(second)  # while that read is under way
        held.gate.set()
        await until(lambda: link.ids() == [first.id, second.id], WAIT_S, what="the second one sent")


async def test_a_batch_of_rows_acknowledged_but_not_cleared_does_not_stall_the_sender(
    tmp_path: Path,
) -> None:
    """After the link came back, the sender read from the oldest row again; rows acknowledged
    but not yet cleared from the file filled its whole window, left nothing to send, and
    nothing woke it: 202 messages stuck once in the kill -9 test (aa4dd44)."""
    link = MemoryLink()
    async with _online(tmp_path, link, window=2) as client:
        a, b = _position(client, 1), _position(client, 2)
        await client.submit(a, b)
        await until(lambda: link.ids() == [a.id, b.id], WAIT_S, what="both sent")
        link.ack(a.id, b.id)  # acknowledged; their rows leave the file later, in a batch
        await until(lambda: client.queued() == 0, WAIT_S, what="the acknowledgements")
        assert client.outbox.count() == 2
        # the hub went silent (what the heartbeat decides after three silent beats), then
        # answered again: everything unacknowledged is resent from the oldest row
        client._set_state(LinkState.OFFLINE)
        link.pong()
        await client.wait_online(WAIT_S)
        c = _position(client, 3)
        await client.submit(c)
        await until(lambda: link.ids() == [a.id, b.id, c.id], WAIT_S, what="c sent")


async def test_a_batch_read_before_a_reconnection_is_read_again_from_the_oldest(
    tmp_path: Path,
) -> None:
    """A reconnection while the sender read the outbox reset its cursor to resend from the
    oldest row; the sender then sent the batch it had read (from the old cursor) and moved
    the cursor past the rows that had to be resent (d5115aa)."""
    link = MemoryLink()
    async with _online(tmp_path, link) as client:
        a, b = _position(client, 1), _position(client, 2)
        await client.submit(a, b)
        await until(lambda: link.ids() == [a.id, b.id], WAIT_S, what="a and b in flight")
        held = _HeldReads(client)
        held.hold()
        c = _position(client, 3)
        await client.submit(c)
        await asyncio.wait_for(held.reading.wait(), WAIT_S)  # the read after b, finding c
        link.cut()
        link.restore()  # a new connection with a and b in flight: resend from the oldest
        await until(lambda: len(link.ids(Ping)) == 1, WAIT_S, what="the reconnect ping")
        held.gate.set()
        await until(
            lambda: link.ids() == [a.id, b.id, a.id, b.id, c.id],
            WAIT_S,
            what="a and b resent, then c",
        )
