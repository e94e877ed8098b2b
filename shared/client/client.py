"""The client core every application uses: connect, authenticate, durable send, heartbeats.

One :class:`HubClient` per device. Everything submitted goes into the durable
:class:`~shared.client.outbox.Outbox` first, then out over a DEALER socket with a window of
messages in flight. Acks remove rows. When the hub goes silent for 3 beats the link is
OFFLINE; when it answers again every unacknowledged row is resent in order (the hub answers
a resend of a held id with the same ack and stores nothing twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from shared.aio import cancel_and_wait
from shared.client.link import LinkState, curve_client, next_backoff
from shared.client.outbox import Outbox
from shared.identity.keys import Bundle
from shared.protocol import (
    Ack,
    AckBatch,
    AttachmentStatus,
    Emergency,
    EmergencyAck,
    Error,
    Hello,
    InboxQuery,
    InboxStatus,
    IncidentRecord,
    Message,
    Ping,
    Pong,
    Welcome,
    decode_reply,
    encode,
    new_id,
    utcnow,
)
from shared.protocol.values import clean_message

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)

RETRYABLE = frozenset({"store_unavailable", "busy", "throttled"})
"""Refusals that say "later", not "never": the message stays in the outbox and is resent."""


URGENT = (Emergency, EmergencyAck)
"""Kinds sent ahead of the outbox's queue."""

Connect = Callable[["HubClient"], tuple[Any, Any]]
"""Opens the client's request link: a DEALER (or its in-memory twin,
:class:`shared.client.memory_link.MemoryLink`) and the monitor reporting its handshakes."""


def zmq_connect(client: HubClient) -> tuple[zmq.asyncio.Socket, zmq.asyncio.Socket]:
    """The real link: a CURVE DEALER to the bundle's request endpoint, and its monitor."""
    sock = curve_client(client.ctx, zmq.DEALER, client.bundle, reconnect_ms=client.reconnect_ms)
    sock.immediate = True  # do not queue for a hub that is not there: the outbox does
    sock.connect(client.bundle.endpoints.request)
    monitor = sock.get_monitor_socket(
        zmq.EVENT_HANDSHAKE_FAILED_AUTH
        | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
        | zmq.EVENT_HANDSHAKE_SUCCEEDED
    )
    return sock, monitor


class HubClient:
    """A device's connection to the hub.

    Args:
        bundle: the device's key bundle.
        outbox_path: SQLite file of the durable outbox.
        heartbeat_s: interval of pings; the link is OFFLINE after ``offline_after`` silent
            intervals.
        window: messages in flight at most.
        exercise: mark every message made with :meth:`make` as exercise (演练).
        reconnect_ms: TCP reconnect interval (libzmq adds up to as much again as jitter);
            field devices on links that drop use a short one.
        connect: opens the link (default :func:`zmq_connect`; tests give an in-memory one).
    """

    def __init__(
        self,
        bundle: Bundle,
        outbox_path: Path,
        *,
        heartbeat_s: float = 1.0,
        offline_after: int = 3,
        window: int = 2000,
        resend_after_s: float = 10.0,
        exercise: bool = False,
        client_name: str = "hengshui-client",
        reconnect_ms: int = 1000,
        connect: Connect | None = None,
    ) -> None:
        self.bundle = bundle
        self.outbox = Outbox(outbox_path)
        self.heartbeat_s = heartbeat_s
        self.offline_after = offline_after
        self.window = window
        self.resend_after_s = resend_after_s
        self.exercise = exercise
        self.client_name = client_name
        self.reconnect_ms = reconnect_ms
        self._connect = connect or zmq_connect
        self.ctx = zmq.asyncio.Context()
        self.state = LinkState.CONNECTING
        self.role: str | None = None
        self.on_state: list[Callable[[LinkState], None]] = []
        self.on_ack: list[Callable[[str, str, float], None]] = []
        self.on_error: list[Callable[[Error], None]] = []
        self.stats = {"sent": 0, "acked": 0, "resent": 0, "errors": 0}
        self._inflight: OrderedDict[str, float] = OrderedDict()
        self._first_sent: dict[str, float] = {}
        self._cursor = 0
        self._resends = 0
        """Counts resends from the oldest row: a batch read before one is stale."""
        self._wake = asyncio.Event()
        self._online = asyncio.Event()
        self._waiters: dict[str, asyncio.Future[Message]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._last_rx = 0.0
        self._acked_ids: list[str] = []
        self._sock: zmq.asyncio.Socket | None = None
        self._reader_task: asyncio.Task[None]
        self._monitor: zmq.asyncio.Socket | None = None
        self._backoff = 0.0
        self._retry_at = 0.0
        self._closed = False
        self._handshakes = 0

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Open the link and start the background tasks (returns at once)."""
        self._open_socket()
        loop = asyncio.get_running_loop()
        for coro in (self._heartbeat(), self._sender(), self._watch_handshake()):
            self._tasks.append(loop.create_task(coro))

    def _open_socket(self) -> None:
        """A fresh DEALER, its monitor, and a reader task bound to that socket."""
        sock, self._monitor = self._connect(self)
        self._sock = sock
        self._last_rx = time.monotonic()
        # A recv pending on a closed socket never completes: each socket gets its own reader.
        self._reader_task = asyncio.get_running_loop().create_task(self._reader(sock))

    async def aclose(self) -> None:
        """Stop the tasks and close sockets and the outbox; queued messages stay queued."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            await cancel_and_wait(task)
        # Read after the watcher has stopped: it replaces the reader when it reopens.
        reader = getattr(self, "_reader_task", None)  # none when the client never started
        if reader is not None:
            await cancel_and_wait(reader)
        await self._flush_acked_async()
        for fut in self._waiters.values():
            if not fut.done():
                fut.cancel()
        if self._sock is not None and not self._sock.closed:
            # (closed already when the hub had just refused our key: the watcher closes the
            # refused socket and sleeps before opening a fresh one)
            self._sock.disable_monitor()
            self._sock.close(linger=0)
        if self._monitor is not None:
            self._monitor.close(linger=0)
        self.ctx.destroy(linger=0)
        self.outbox.close()
        self._set_state(LinkState.CLOSED)

    async def __aenter__(self) -> HubClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- making and sending -------------------------------------------------------------

    def make(self, cls: type[M], **fields: Any) -> M:
        """A message of kind ``cls`` with a fresh id, this device as sender, and now; its
        text made carriable (:func:`shared.protocol.values.clean_text`: what a person typed
        or pasted, a vertical tab from Word say, is never refused for a control character)."""
        fields.setdefault("exercise", self.exercise)
        msg: M = clean_message(cls(id=new_id(), sender=self.bundle.device, sent=utcnow(), **fields))
        return msg

    async def submit(self, *messages: Message) -> None:
        """Store messages durably in the outbox (in order); they are sent when the link is up.

        Raises:
            OutboxError: the outbox cannot store them (nothing stored before is lost).
        """
        rows = [(m.id, str(type(m).__struct_config__.tag), encode(m)) for m in messages]
        await asyncio.to_thread(self.outbox.add, rows)
        urgent = [
            (r[0], r[2]) for m, r in zip(messages, rows, strict=True) if isinstance(m, URGENT)
        ]
        await self._send_urgent(urgent)
        self._wake.set()

    async def _send_urgent(self, items: list[tuple[str, bytes]]) -> None:
        """An SOS (or the hall's acknowledgement of one) leaves at once, ahead of whatever
        the outbox holds before it (a photo's chunks, a backlog of positions); it stays in
        the outbox until acknowledged like everything else, so a lost one is resent."""
        if not items or self.state != LinkState.ONLINE or self._sock is None:
            return
        now = time.monotonic()
        for msg_id, payload in items:
            if msg_id in self._inflight:
                continue
            try:
                await self._sock.send(payload, zmq.NOBLOCK)
            except (zmq.Again, zmq.ZMQError):
                return  # the sender sends it in its turn
            self._inflight[msg_id] = now
            self._first_sent.setdefault(msg_id, now)
            self.stats["sent"] += 1

    async def submit_and_wait(self, msg: Message, timeout: float = 10.0) -> Error | None:
        """Submit durably and wait for the hub's answer: None once acknowledged (stored), or
        the :class:`Error` refusing it. A timeout leaves it queued in the outbox.

        Raises:
            TimeoutError: no answer in time (the message stays queued and will be sent).
        """
        done: asyncio.Future[Error | None] = asyncio.get_running_loop().create_future()

        def on_ack(ref: str, status: str, latency: float) -> None:
            if ref == msg.id and not done.done():
                done.set_result(None)

        def on_error(error: Error) -> None:
            if error.ref == msg.id and not done.done():
                done.set_result(error)

        self.on_ack.append(on_ack)
        self.on_error.append(on_error)
        try:
            await self.submit(msg)
            if msg.id in self._acked_ids:
                # the same id acknowledged moments ago (its outbox row not yet cleared, so the
                # outbox kept the old row and nothing is resent): that acknowledgement stands
                return None
            return await asyncio.wait_for(done, timeout)
        finally:
            self.on_ack.remove(on_ack)
            self.on_error.remove(on_error)

    async def request(self, msg: Message, timeout: float = 5.0) -> Message:
        """Send a non-durable request (a query) and wait for the reply naming its id."""
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiters[msg.id] = fut
        try:
            assert self._sock is not None
            await asyncio.wait_for(self._sock.send(encode(msg)), timeout)
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._waiters.pop(msg.id, None)

    async def hello(self, timeout: float = 5.0) -> Welcome:
        """Introduce ourselves; returns who the hub thinks we are."""
        reply = await self.request(self.make(Hello, client=self.client_name), timeout)
        if isinstance(reply, Error):
            raise PermissionError(f"hub refused: {reply.code}: {reply.detail}")
        assert isinstance(reply, Welcome)
        self.role = reply.role
        return reply

    async def query_inbox(self, ids: list[str], timeout: float = 30.0) -> dict[str, int]:
        """How many stored rows the hub holds for each of our message ids."""
        held: dict[str, int] = {}
        for i in range(0, len(ids), 10_000):
            reply = await self.request(self.make(InboxQuery, ids=ids[i : i + 10_000]), timeout)
            if isinstance(reply, Error):
                raise RuntimeError(f"inbox query refused: {reply.code}: {reply.detail}")
            assert isinstance(reply, InboxStatus)
            held.update(reply.held)
        return held

    async def wait_online(self, timeout: float) -> None:
        """Wait until the hub has answered us."""
        await asyncio.wait_for(self._online.wait(), timeout)

    async def drain(self, timeout: float) -> bool:
        """Wait until the outbox is empty; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self._flush_acked_async()
            if not self._inflight and await asyncio.to_thread(self.outbox.count) == 0:
                return True
            await asyncio.sleep(0.05)
        return False

    def queued(self) -> int:
        """Messages not yet acknowledged (in flight or waiting). Acknowledged rows leave
        the outbox file in batches; those already acknowledged are not counted."""
        return max(0, self.outbox.count() - len(set(self._acked_ids)))

    # --- internals ----------------------------------------------------------------------

    def _set_state(self, state: LinkState) -> None:
        if state == self.state:
            return
        log.info("link %s -> %s", self.state.value, state.value)
        self.state = state
        if state == LinkState.ONLINE:
            self._online.set()
        else:
            self._online.clear()
        for cb in self.on_state:
            cb(state)

    def _came_alive(self) -> None:
        self._last_rx = time.monotonic()
        if self.state != LinkState.ONLINE:
            # Resend everything unacknowledged, oldest first.
            self._backoff = 0.0
            self._set_state(LinkState.ONLINE)
            self._resend_from_oldest()

    async def _reader(self, sock: zmq.asyncio.Socket) -> None:
        while True:
            frame = await sock.recv()
            try:
                reply = decode_reply(frame)
            except Exception:
                log.warning("undecodable reply from hub (%d bytes)", len(frame))
                continue
            self._came_alive()
            match reply:
                case Ack(ref=ref, status=status):
                    self._acked(ref, status)
                case AckBatch(ok=ok, duplicate=duplicate):
                    for ref in ok:
                        self._acked(ref, "ok")
                    for ref in duplicate:
                        self._acked(ref, "duplicate")
                case Error(ref=ref, code=code):
                    self.stats["errors"] += 1
                    if ref is not None and ref in self._waiters:
                        self._waiters[ref].set_result(reply)
                        continue
                    if code == "revoked":
                        self._set_state(LinkState.REFUSED)
                    if ref is not None and ref in self._inflight:
                        self._inflight.pop(ref, None)
                        if code in RETRYABLE or code == "revoked":
                            # (revoked: kept, not dropped; a device re-keyed under the same
                            # name sends what it queued meanwhile)
                            # The hub could not store it: resend from the oldest unacked
                            # message a little later (the hub drops resends it holds).
                            self._retry_at = time.monotonic() + self.heartbeat_s
                        else:
                            # Final refusal: keep it out of the outbox, tell the application.
                            self._first_sent.pop(ref, None)
                            self._acked_ids.append(ref)
                    for on_error in self.on_error:
                        on_error(reply)
                case (
                    Pong(ref=ref)
                    | Welcome(ref=ref)
                    | InboxStatus(ref=ref)
                    | AttachmentStatus(ref=ref)
                    | IncidentRecord(ref=ref)
                ):
                    waiter = self._waiters.get(ref)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(reply)
            if len(self._acked_ids) >= 256:
                await self._flush_acked_async()

    def _acked(self, ref: str, status: str) -> None:
        sent_at = self._first_sent.pop(ref, None)
        if self._inflight.pop(ref, None) is not None or sent_at is not None:
            self.stats["acked"] += 1
            self._acked_ids.append(ref)
            latency = time.monotonic() - sent_at if sent_at else 0.0
            for cb in self.on_ack:
                cb(ref, status, latency)
        self._wake.set()

    def _flush_acked(self) -> None:
        """Forget acknowledged rows now (blocking: only where no event loop runs)."""
        if self._acked_ids:
            ids, self._acked_ids = self._acked_ids, []
            self.outbox.remove(ids)

    async def _flush_acked_async(self) -> None:
        """Forget acknowledged rows in a worker thread: never SQLite on the loop (the GUI's)."""
        if self._acked_ids:
            ids, self._acked_ids = self._acked_ids, []
            await asyncio.to_thread(self.outbox.remove, ids)

    def _resend_from_oldest(self) -> None:
        self._inflight.clear()
        self._cursor = 0
        self._resends += 1
        self._wake.set()

    async def _heartbeat(self) -> None:
        # Four checks per beat, so silence is noticed within a quarter beat of the limit.
        checks = 4
        tick = 0
        while True:
            await asyncio.sleep(self.heartbeat_s / checks)
            tick += 1
            now = time.monotonic()
            silent = now - self._last_rx
            if self.state == LinkState.ONLINE and silent > self.heartbeat_s * self.offline_after:
                self._set_state(LinkState.OFFLINE)
            if self._retry_at and now >= self._retry_at and self.state == LinkState.ONLINE:
                self._retry_at = 0.0
                self._resend_from_oldest()
            if tick % checks:
                continue
            await self._flush_acked_async()
            if self.state == LinkState.REFUSED:
                continue
            assert self._sock is not None
            with contextlib.suppress(zmq.Again, zmq.ZMQError):
                await self._sock.send(encode(self.make(Ping)), zmq.NOBLOCK)
            # A message in flight too long while online is resent from the oldest one.
            if self.state == LinkState.ONLINE and self._inflight:
                oldest = next(iter(self._inflight.values()))
                if now - oldest > self.resend_after_s:
                    self._resend_from_oldest()

    async def _sender(self) -> None:
        while True:
            await self._online.wait()
            if len(self._inflight) >= self.window:
                self._wake.clear()
                await self._wake.wait()
                continue
            # Cleared before reading, not after: a message submitted while the outbox is
            # being read (in a worker thread) sets the event again, so it is not slept over.
            self._wake.clear()
            resends = self._resends
            rows = await self._read_outbox(self._cursor, self.window - len(self._inflight))
            if resends != self._resends:
                continue  # read before a reconnect reset the cursor: read again from there
            acked = set(self._acked_ids)  # acknowledged, not yet cleared from the file
            # Acknowledged rows at the cursor are done: step over them, or a batch made only
            # of them (after a reconnect resends from the oldest) would stall the sender.
            stepped = False
            while rows and rows[0][1] in acked:
                self._cursor = rows.pop(0)[0]
                stepped = True
            rows = [r for r in rows if r[1] not in self._inflight and r[1] not in acked]
            if not rows:
                if not stepped:
                    await self._wake.wait()
                continue
            assert self._sock is not None
            now = time.monotonic()
            try:
                for seq, msg_id, payload in rows:
                    if self.state != LinkState.ONLINE:
                        break
                    await self._sock.send(payload, zmq.NOBLOCK)
                    self._cursor = seq
                    self._inflight[msg_id] = now
                    if msg_id in self._first_sent:
                        self.stats["resent"] += 1
                    else:
                        self._first_sent[msg_id] = now
                        self.stats["sent"] += 1
            except zmq.Again:
                await asyncio.sleep(0.01)  # no link right now; the heartbeat will tell

    async def _read_outbox(self, cursor: int, limit: int) -> list[tuple[int, str, bytes]]:
        """The next rows to send, read in a worker thread (never SQLite on the loop)."""
        return await asyncio.to_thread(self.outbox.after, cursor, limit)

    async def _watch_handshake(self) -> None:
        while True:
            assert self._monitor is not None
            try:
                frames = await self._monitor.recv_multipart()
            except zmq.ZMQError:
                await asyncio.sleep(0.05)
                continue
            event = parse_monitor_message(frames)
            if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._handshakes += 1
                if self._handshakes > 1:
                    # A new connection after a drop: ask at once whether the hub hears us
                    # (not at the next heartbeat), and send again what was in flight on the
                    # old one rather than after resend_after_s (the hub drops what it holds).
                    if self._sock is not None:
                        with contextlib.suppress(zmq.Again, zmq.ZMQError):
                            await self._sock.send(encode(self.make(Ping)), zmq.NOBLOCK)
                    if self._inflight:
                        self._resend_from_oldest()
                continue
            # The hub refused our key: back off 1, 2, 4 … 32 s, then try a fresh socket.
            self._set_state(LinkState.REFUSED)
            self._backoff = next_backoff(self._backoff)
            log.warning("hub refused the handshake; retrying in %.0f s", self._backoff)
            old_sock, old_mon = self._sock, self._monitor
            assert old_sock is not None
            await cancel_and_wait(self._reader_task)
            old_sock.disable_monitor()
            old_sock.close(linger=0)
            old_mon.close(linger=0)
            await asyncio.sleep(self._backoff)
            self._open_socket()
            self._set_state(LinkState.CONNECTING)
