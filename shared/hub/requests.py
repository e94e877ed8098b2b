"""Requests from the ROUTER socket to their answers: drain, fair queue, admit, commit, answer.

A drain reads up to ``batch_max`` frames without blocking. With nothing waiting and one
sender (or a batch small enough for a shared hub), the batch goes straight on; otherwise the
frames go into per-device queues (``guard.FairQueue``) with a bound each, and one fair batch
is taken: light senders first, in a transaction of their own. Each frame of a batch is then
admitted (key known, one part, decodable, sender matching the key, role allowed), answered
here (ping, hello, queries) or written by the persister in one transaction, and answered
after the commit. SOS frames go first, in a short transaction of their own.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import zmq
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from shared.config import HubConfig
from shared.hub.common import HUB_NAME
from shared.hub.discipline import Discipline
from shared.hub.guard import ConductBook, FairQueue
from shared.hub.persist import Persister
from shared.hub.presence import Presence
from shared.hub.record import read_record
from shared.hub.registry import DeviceCache
from shared.hub.state import StateStore
from shared.identity.registry import DeviceInfo
from shared.identity.roles import Permissions
from shared.protocol import (
    KIND_OF,
    AttachmentQuery,
    Hello,
    InboxQuery,
    Message,
    Ping,
    Pong,
    ProtocolError,
    RecordQuery,
    Welcome,
    decode_request,
    encode,
    new_id,
)
from shared.protocol.messages import ErrorCode
from shared.protocol.values import value_problem
from shared.store.audit import AuditRecord

log = logging.getLogger(__name__)

Request = tuple[bytes, zmq.Frame, int, str]
"""A request as read: routing id, payload frame, extra parts, the sender's CURVE key."""
_ANSWERED_HERE = frozenset(
    {"ping", "hello", "inbox_query", "attachment_query", "record_query"}
)  # no commit needed

_URGENT_TAG = b"emergency"
"""What the kind of an Emergency and of an EmergencyAck begins with. msgpack puts the tag
first, so it lies in a frame's first 24 bytes; no other kind has it there. A frame that only
looks like one is merely taken first, and validated like any other."""


class RequestDesk:
    """The hub's request side: every frame read from ``router`` is answered or refused."""

    def __init__(
        self,
        *,
        router: zmq.Socket[Any],
        config: HubConfig,
        clock: Callable[[], datetime],
        engine: Engine,
        state: StateStore,
        devices: DeviceCache,
        permissions: Permissions,
        presence: Presence,
        conduct: ConductBook,
        waiting: FairQueue,
        discipline: Discipline,
        persister: Persister,
        stats: dict[str, int],
        sessions: dict[str, bytes],
        audit_backlog: list[AuditRecord],
        error: Callable[[str | None, ErrorCode, str], bytes],
        publish: Callable[[], None],
    ) -> None:
        self.router = router
        self.config = config
        self.clock = clock
        self.value_rules = config.value_rules()
        self.engine = engine
        self.state = state
        self.devices = devices
        self.permissions = permissions
        # role -> kinds it may send, so the hot loop checks with one set lookup
        self.may = {
            role: frozenset(k for k in permissions.kinds if permissions.allows(role, k))
            for role in permissions.roles
        }
        self.presence = presence
        self.conduct = conduct
        self.waiting = waiting
        self.discipline = discipline
        self.persister = persister
        self.stats = stats
        self.sessions = sessions
        """Device public key → its last routing id (for cutting sessions)."""
        self.audit_backlog = audit_backlog
        """Audit lines a failed write left: the hub writes them on its next tick."""
        self.error = error
        self.publish = publish
        """After a batch's replies: publish what changed (the hub's fan-out)."""

    def drain(self) -> None:
        # Two plain recv calls per message cost a quarter of recv_multipart(copy=False); the
        # payload stays a Frame for its User-Id (the ZAP-authenticated key). ROUTER delivers
        # whole messages, so once the routing id is in, the rest is too.
        recv = self.router.recv
        conduct = self.conduct
        waiting = self.waiting
        now = time.monotonic()
        batch_max = self.config.batch_max
        # With frames already waiting (a flood), read a sixteenth: libzmq takes from the
        # peers in turn, so the others' frames are among the first read, and the flood's
        # surplus stays in its own pipe and TCP buffers instead of costing reads here.
        reads = batch_max if not waiting.size else max(64, batch_max // 16)
        watched = conduct.keys  # keys that offended lately; empty on a quiet day
        got: list[Request] = []
        for _ in range(reads):
            try:
                rid = recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            frame = recv(zmq.NOBLOCK, copy=False)
            extra = 0
            while frame.more:  # a multipart request: keep the last part, count the others
                frame = recv(zmq.NOBLOCK, copy=False)
                extra += 1
            key: str = frame.get("User-Id")  # type: ignore[assignment]
            if watched and conduct.standing(key) == "cut_off":
                conduct.dropped += 1
                if conduct.notice_due(key, now, every_s=5.0):
                    self._reply_now(rid, self.discipline.cut_off_error(key, now))
                continue
            got.append((rid, frame, extra, key))
        self.stats["frames"] += len(got)
        # The common case without a queue: nothing waiting, nobody throttled, and either one
        # key alone or a batch small enough for a shared hub (guard.FairQueue.take).
        if not waiting.size and not watched:
            keys = {r[3] for r in got}
            if len(keys) > 1:
                waiting.last_shared = now
            if (len(keys) <= 1 and not waiting.contended(now)) or len(got) <= waiting.budget(
                batch_max, now
            ):
                if got:
                    self.process(got)
                return
        self._queue_and_take(got, now)

    def _queue_and_take(self, got: list[Request], now: float) -> None:
        """Frames into the per-key queues (over a key's bound: refused unread), then one
        fair batch: light keys' frames first, in a short transaction of their own."""
        conduct = self.conduct
        waiting = self.waiting
        limits = conduct.limits
        for item in got:
            key = item[3]
            standing = conduct.standing(key)
            bound = limits.queue_max if standing == "ok" else limits.throttled_queue_max
            if not waiting.put(key, item, bound):
                self.stats["busy"] += 1
                if conduct.notice_due(key, now):
                    self._reply_now(
                        item[0],
                        self.error(
                            None,
                            "throttled" if standing == "throttled" else "busy",
                            f"{bound} requests from this device are already waiting; "
                            "requests beyond that are refused unread: wait for their answers",
                        ),
                    )
        small = {
            k: limits.throttled_share for k in waiting.queues if conduct.standing(k) == "throttled"
        }
        batch = waiting.take(self.config.batch_max, small, now)
        items: list[Request] = [item for _, item in batch]  # type: ignore[misc]
        light = waiting.light
        if light:
            self.process(items[:light])
            items = items[light:]
        if items:
            self.process(items)

    def _reply_now(self, rid: bytes, payload: bytes) -> None:
        with contextlib.suppress(zmq.Again):
            self.router.send_multipart((rid, payload), zmq.NOBLOCK)

    def process(self, batch: list[Request]) -> None:
        """Admit, store and answer a batch — an SOS (and the hall's acknowledgement of one)
        first, in a short transaction of its own, ahead of whatever else arrived with it."""
        if len(batch) > 1:
            # per frame on the hot path: one slice of the frame's (cached) bytes and a search
            tag = _URGENT_TAG
            urgent = [r for r in batch if tag in r[1].bytes[:24]]
            if urgent and len(urgent) < len(batch):
                self._process_batch(urgent)
                batch = [r for r in batch if tag not in r[1].bytes[:24]]
        self._process_batch(batch)

    def _process_batch(self, batch: list[Request]) -> None:
        now_mono = time.monotonic()
        replies: list[tuple[bytes, bytes]] = []
        accepted: list[tuple[bytes, Message, str, str]] = []
        audits: list[AuditRecord] = []
        queries: list[tuple[bytes, InboxQuery | AttachmentQuery | RecordQuery, str]] = []
        seen: dict[str, tuple[DeviceInfo, bytes]] = {}
        conduct = self.conduct
        for rid, frame, extra, key in batch:
            if (
                conduct.keys and conduct.standing(key) == "cut_off"
            ):  # cut off by an earlier frame of the batch
                conduct.dropped += 1
                if conduct.notice_due(key, now_mono, every_s=5.0):
                    replies.append((rid, self.discipline.cut_off_error(key, now_mono)))
                continue
            try:
                self._admit(
                    rid, frame, extra, key, replies, accepted, audits, queries, seen, now_mono
                )
            except Exception as exc:  # one frame's unexpected failure costs that frame only
                self.stats["step_failures"] += 1
                log.exception("request failed", extra={"key": key})
                replies.append(
                    (rid, self.error(None, "internal", f"the hub failed on this frame: {exc!r}"))
                )
        # Once per device and batch, not per message: last contact and presence.
        for key, (dev, rid) in seen.items():
            self.sessions[key] = rid
            if self.presence.touch(dev.name, dev.role, now_mono):
                self.state.set("presence", dev.name, self.presence.state(dev.name))
        if accepted or audits:
            self._commit(accepted, audits, replies, now_mono)
        for rid, query, sender in queries:
            try:
                if isinstance(query, InboxQuery):
                    replies.append((rid, self.persister.inbox_status(query, self.clock())))
                elif isinstance(query, RecordQuery):
                    replies.append((rid, read_record(self.engine, query, self.clock())))
                else:
                    replies.append((rid, self.persister.attachment_status(query, self.clock())))
            except SQLAlchemyError as exc:
                log.error("query failed", extra={"error": str(exc)[:300]})
                replies.append(
                    (rid, self.error(query.id, "store_unavailable", "store read failed"))
                )
            except Exception:
                log.exception("query failed", extra={"msg_id": query.id, "device": sender})
                replies.append(
                    (rid, self.error(query.id, "internal", "the hub failed on this query"))
                )
        send = self.router.send_multipart
        for rid, payload in replies:
            try:
                send((rid, payload), zmq.NOBLOCK)
            except zmq.Again:
                log.warning("reply dropped: client not reading")
        self.publish()

    def _commit(
        self,
        accepted: list[tuple[bytes, Message, str, str]],
        audits: list[AuditRecord],
        replies: list[tuple[bytes, bytes]],
        now_mono: float,
    ) -> None:
        """Write a batch. When the store refuses the batch for a value in it (not because it
        is down), the batch is split in halves until the message at fault is alone: it is
        refused, everything else is written (one poison message must not block the rest,
        nor come back for ever as a retryable failure)."""
        try:
            replies.extend(self.persister.commit(accepted, audits, self.clock()))
        except (OperationalError, InterfaceError) as exc:
            log.error("store write failed", extra={"error": str(exc)[:500]})
            for rid, msg, _, _ in accepted:
                replies.append(
                    (
                        rid,
                        self.error(msg.id, "store_unavailable", "store write failed; resend later"),
                    )
                )
            return
        except Exception as exc:
            if len(accepted) > 1:
                half = len(accepted) // 2
                self._commit(accepted[:half], audits, replies, now_mono)
                self._commit(accepted[half:], [], replies, now_mono)
                return
            if not accepted:  # the audit lines alone: kept for the next tick
                log.error("audit write failed: %s", str(exc)[:300])
                self.audit_backlog.extend(audits)
                audits.clear()
                return
            rid, msg, device, _ = accepted[0]
            refusal = self.persister.unexpected(msg, device, exc)
            replies.append((rid, self.error(msg.id, refusal.code, refusal.detail)))
            self.audit_backlog.extend(audits)
            audits.clear()
            self.audit_backlog.append(
                AuditRecord(device, "refused", KIND_OF[type(msg)], refusal.detail[:200])
            )
            dev = self.devices.by_name.get(device)
            if dev is not None:
                self.discipline.offence(dev.public_key, device, now_mono)
            return
        for name in self.persister.forbidden:
            dev_ = self.devices.by_name.get(name)
            if dev_ is not None:
                self.discipline.offence(dev_.public_key, name, now_mono)

    def _admit(
        self,
        rid: bytes,
        frame: zmq.Frame,
        extra: int,
        key: str,
        replies: list[tuple[bytes, bytes]],
        accepted: list[tuple[bytes, Message, str, str]],
        audits: list[AuditRecord],
        queries: list[tuple[bytes, InboxQuery | AttachmentQuery | RecordQuery, str]],
        seen: dict[str, tuple[DeviceInfo, bytes]],
        now: float,
    ) -> None:
        """Decode and authorise one frame: answer it here, or pass it on to be written."""
        dev = self.devices.lookup(key)
        if dev is None:
            why = self.devices.describe_refusal(key)
            code: ErrorCode = "revoked" if "revoked" in why else "unknown_device"
            replies.append((rid, self.error(None, code, f"{why}: this key is refused")))
            self.discipline.note_refusal(audits, key, why)
            self.discipline.offence(key, key[:12], now)
            return
        seen[key] = (dev, rid)
        if extra:
            replies.append(
                (rid, self.error(None, "multipart", f"expected 1 frame, got {extra + 1}"))
            )
            self.discipline.refused(dev, key, audits, "multipart", f"{extra + 1} frames", now)
            return
        try:
            msg = decode_request(frame.bytes, self.config.max_frame_bytes)
        except ProtocolError as exc:
            replies.append((rid, self.error(exc.ref, exc.code, exc.detail)))
            self.discipline.refused(dev, key, audits, exc.code, exc.detail, now)
            return
        kind = KIND_OF[type(msg)]
        if msg.sender != dev.name:
            replies.append(
                (
                    rid,
                    self.error(
                        msg.id,
                        "sender_mismatch",
                        f"sender {msg.sender!r:.140} does not match the key of {dev.name!r}",
                    ),
                )
            )
            self.discipline.refused(dev, key, audits, kind, "sender mismatch", now)
            return
        if kind not in self.may.get(dev.role, ()):
            allowed = ", ".join(self.permissions.allowed_roles(kind))
            replies.append(
                (
                    rid,
                    self.error(
                        msg.id,
                        "forbidden",
                        f"role {dev.role!r} may not send {kind!r} messages (allowed: {allowed})",
                    ),
                )
            )
            self.discipline.refused(
                dev, key, audits, kind, f"role {dev.role} forbidden {msg.id}", now
            )
            return
        if (problem := value_problem(msg, self.clock(), self.value_rules)) is not None:
            # well typed, but a value the record cannot hold (a date at the calendar's edge,
            # a control character): refused here, naming the field, before anything is stored
            replies.append((rid, self.error(msg.id, "invalid", f"{kind}: {problem}")))
            self.discipline.refused(dev, key, audits, kind, f"value: {problem.field}", now)
            return
        if kind not in _ANSWERED_HERE:
            accepted.append((rid, msg, dev.name, dev.role))
            return
        match msg:
            case Ping():
                pong = Pong(id=new_id(), sender=HUB_NAME, sent=self.clock(), ref=msg.id)
                replies.append((rid, encode(pong)))
            case Hello():
                welcome = Welcome(
                    id=new_id(),
                    sender=HUB_NAME,
                    sent=self.clock(),
                    device=dev.name,
                    role=dev.role,
                    heartbeat_s=self.config.heartbeat_s,
                    ref=msg.id,
                )
                replies.append((rid, encode(welcome)))
            case InboxQuery() | AttachmentQuery() | RecordQuery():
                queries.append((rid, msg, dev.name))
