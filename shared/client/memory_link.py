"""The in-memory twin of the client's link to the hub (as the relay has
:class:`~shared.relay.outbound.transports.MemoryTransport` for its transports).

A :class:`~shared.client.HubClient` made with ``connect=link.connect`` runs its outbox, send
window, resend cursor, acknowledgements and reconnections against it, with no socket, no
thread of libzmq's and no hub: the test plays the hub. It reads what arrived, answers with
acknowledgements or refusals (or does not), cuts the link and brings it back, and refuses
the handshake as a hub refusing a key would.
"""

from __future__ import annotations

import asyncio
import struct
from datetime import UTC, datetime
from typing import Any

import zmq

from shared.protocol import AckBatch, Error, Message, Ping, Pong, decode_request, encode, new_id
from shared.protocol.messages import ErrorCode

_HUB = "hub"


class _Dealer:
    """What the client sends through: its frames reach the link's ``arrived`` list."""

    def __init__(self, link: MemoryLink) -> None:
        self.link = link
        self.replies: asyncio.Queue[bytes] = asyncio.Queue()
        self.closed = False

    async def send(self, data: bytes, flags: int = 0) -> None:
        if self.closed or not self.link.up:
            raise zmq.Again()  # as a DEALER with ``immediate``: no connection, nothing queued
        self.link.arrived.append(decode_request(data))

    async def recv(self) -> bytes:
        return await self.replies.get()

    def disable_monitor(self) -> None:
        return None

    def close(self, linger: int = 0) -> None:
        self.closed = True


class _Monitor:
    """The dealer's handshake events, as libzmq's monitor frames them."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[list[bytes]] = asyncio.Queue()

    def put(self, event: int) -> None:
        self.events.put_nowait([struct.pack("=hi", event, 0), b"memory://hub"])

    async def recv_multipart(self) -> list[bytes]:
        return await self.events.get()

    def close(self, linger: int = 0) -> None:
        return None


class MemoryLink:
    """One client's link to a hub played by the test."""

    def __init__(self) -> None:
        self.up = True
        self.arrived: list[Message] = []
        """Every message the client sent, decoded and checked as the hub would, in order."""
        self.connections = 0
        self._dealer: _Dealer | None = None
        self._monitor: _Monitor | None = None

    def connect(self, client: Any) -> tuple[_Dealer, _Monitor]:
        """The client's ``connect``: a fresh dealer and monitor (on start, and after the
        hub refused the handshake); the handshake succeeds at once while the link is up."""
        self._dealer, self._monitor = _Dealer(self), _Monitor()
        self.connections += 1
        if self.up:
            self._monitor.put(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        return self._dealer, self._monitor

    # --- what arrived ---------------------------------------------------------------------

    def ids(self, kind: type[Message] | None = None) -> list[str]:
        """Ids of the messages that arrived (of ``kind``, pings left out), in order; an id
        sent twice is listed twice."""
        return [
            m.id
            for m in self.arrived
            if (isinstance(m, kind) if kind is not None else not isinstance(m, Ping))
        ]

    # --- the hub's side -------------------------------------------------------------------

    def answer(self, reply: Message) -> None:
        """Deliver a reply to the client (lost, as on a cut link, while the link is down)."""
        if self.up and self._dealer is not None and not self._dealer.closed:
            self._dealer.replies.put_nowait(encode(reply))

    def ack(self, *ids: str) -> None:
        """Acknowledge ``ids`` as stored, in one batch as the hub does."""
        now = datetime.now(UTC)
        self.answer(
            AckBatch(id=new_id(), sender=_HUB, sent=now, ok=list(ids), duplicate=[], committed=now)
        )

    def refuse(self, ref: str, code: ErrorCode, detail: str = "refused by the test") -> None:
        """Refuse the message ``ref`` with ``code`` (retryable codes keep it queued)."""
        self.answer(
            Error(
                id=new_id(), sender=_HUB, sent=datetime.now(UTC), ref=ref, code=code, detail=detail
            )
        )

    def pong(self) -> None:
        """Answer the client's latest ping (the hub hears it: the client is online)."""
        pings = [m for m in self.arrived if isinstance(m, Ping)]
        ref = pings[-1].id if pings else new_id()
        self.answer(Pong(id=new_id(), sender=_HUB, sent=datetime.now(UTC), ref=ref))

    def cut(self) -> None:
        """The link drops: sends fail as with no connection, replies are lost."""
        self.up = False

    def restore(self) -> None:
        """The link is back: a new connection's handshake succeeds (the client pings and
        resends what was in flight, as after a real reconnect)."""
        self.up = True
        if self._monitor is not None:
            self._monitor.put(zmq.EVENT_HANDSHAKE_SUCCEEDED)

    def refuse_key(self) -> None:
        """The hub refuses the client's key at the handshake (revoked, unknown)."""
        if self._monitor is not None:
            self._monitor.put(zmq.EVENT_HANDSHAKE_FAILED_AUTH)
