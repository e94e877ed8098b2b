"""Media signalling and push-to-talk floor control on the hub.

The hub carries WebRTC offers and answers between enrolled devices (the media flows between
the peers) and decides who holds a talk group's floor. Both live in the picture: the
``media`` topic (a session per key, ended sessions kept a few minutes so both sides see
why) and the ``talkgroup`` topic. Neither is stored across a restart: a session's peers
notice the hub is gone and start again; a floor is not worth keeping for minutes.
Every session started and ended, every floor grant and loss is in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec

from shared.domain.floor import Floor, FloorError, priority_of
from shared.hub.common import Batch, Pending, Refusal, Services
from shared.protocol import FloorRequest, MediaSignal, Message
from shared.protocol.state import MediaSessionState, TalkGroupState
from shared.store.audit import AuditRecord

ENDED_KEPT = timedelta(minutes=5)
UNANSWERED_AFTER = timedelta(seconds=60)


def floor_of(state: TalkGroupState | None) -> Floor:
    if state is None:
        return Floor()
    return Floor(
        members=tuple(state.members),
        talker=state.talker,
        talker_priority=state.talker_priority,
        granted_at=state.granted_at,
        queue=tuple(zip(state.queue, state.queue_priorities, strict=True)),
        last_event=state.last_event,
        revoked=state.revoked,
    )


def group_state(
    group_id: str,
    floor: Floor,
    now: datetime,
    previous: TalkGroupState | None,
    msg_incident: str | None = None,
    label: str = "",
) -> TalkGroupState:
    return TalkGroupState(
        group_id=group_id,
        members=list(floor.members),
        talker=floor.talker,
        talker_priority=floor.talker_priority,
        granted_at=floor.granted_at,
        queue=[d for d, _ in floor.queue],
        queue_priorities=[p for _, p in floor.queue],
        incident_id=previous.incident_id if previous and previous.incident_id else msg_incident,
        label=previous.label if previous and previous.label else label,
        last_event=floor.last_event,
        revoked=floor.revoked,
        updated=now,
    )


def _sessions_of(items: Mapping[str, object], pending: Pending, device: str) -> int:
    """Sessions ``device`` takes part in that have not ended (the batch's changes included)."""
    seen: dict[str, object] = dict(items)
    for (topic, key), value in pending.items():
        if topic == "media":
            seen[key] = value
    return sum(
        1
        for v in seen.values()
        if isinstance(v, MediaSessionState)
        and v.status in ("offered", "answered")
        and device in (v.caller, v.callee)
    )


class MediaHandler:
    """The ``media`` and ``floor`` message kinds."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def handle(self, b: Batch, msg: Message, device: str, role: str) -> None:
        match msg:
            case MediaSignal():
                self._media(b, msg, device, role)
            case FloorRequest():
                self._floor(b, msg, device, role)
            case _:  # pragma: no cover - only these kinds are routed here
                raise Refusal("invalid", f"{type(msg).__name__} is not media signalling")

    def _media(self, b: Batch, msg: MediaSignal, device: str, role: str) -> None:
        current = b.current("media", msg.session_id)
        if current is not None and not isinstance(current, MediaSessionState):
            raise Refusal("invalid", "not a media session")
        if msg.action == "offer":
            if current is not None:
                raise Refusal(
                    "invalid", f"media session {msg.session_id!r} exists: offer under a new id"
                )
            if not msg.to_device:
                raise Refusal("invalid", "an offer names the device it is for (to_device)")
            if msg.to_device == device:
                raise Refusal("invalid", "a device cannot call itself")
            if not self.services.is_recipient(msg.to_device):
                raise Refusal(
                    "not_found", f"no enrolled device {msg.to_device!r} (revoked or never enrolled)"
                )
            if not msg.sdp.startswith("v=0"):
                raise Refusal("invalid", "an offer carries an SDP session description (v=0 …)")
            limit = self.services.device_limits.media_sessions
            for who in (device, msg.to_device):
                n = _sessions_of(b.state.topics["media"].items, b.pending, who)
                if n >= limit:
                    raise Refusal(
                        "busy",
                        f"{who} already takes part in {n} media sessions (the limit is "
                        f"{limit}): end one first",
                    )
            b.pending[("media", msg.session_id)] = MediaSessionState(
                session_id=msg.session_id,
                caller=device,
                callee=msg.to_device,
                purpose=msg.purpose,
                status="offered",
                created=b.now,
                updated=b.now,
                incident_id=msg.incident_id,
                label=msg.label,
                offer_sdp=msg.sdp,
                exercise=msg.exercise,
            )
            b.audits.append(
                AuditRecord(
                    device,
                    "media_offer",
                    msg.session_id,
                    f"{msg.purpose} → {msg.to_device} incident {msg.incident_id or '-'}",
                )
            )
            return
        if current is None:
            raise Refusal("not_found", f"no media session {msg.session_id!r} (ended long ago?)")
        if device not in (current.caller, current.callee):
            raise Refusal(
                "forbidden", f"{device} is not a party to media session {msg.session_id!r}"
            )
        if msg.action == "answer":
            if device != current.callee:
                raise Refusal("forbidden", "only the called device answers an offer")
            if current.status != "offered":
                raise Refusal("invalid", f"media session {msg.session_id!r} is {current.status}")
            if not msg.sdp.startswith("v=0"):
                raise Refusal("invalid", "an answer carries an SDP session description (v=0 …)")
            b.pending[("media", msg.session_id)] = msgspec.structs.replace(
                current, status="answered", answer_sdp=msg.sdp, updated=b.now
            )
            b.audits.append(AuditRecord(device, "media_answer", msg.session_id, current.purpose))
            return
        # end
        if current.status == "ended":
            return
        b.pending[("media", msg.session_id)] = msgspec.structs.replace(
            current,
            status="ended",
            ended_by=device,
            reason=msg.reason,
            updated=b.now,
            offer_sdp="",
            answer_sdp="",
        )
        b.audits.append(AuditRecord(device, "media_end", msg.session_id, msg.reason[:400]))

    def _floor(self, b: Batch, msg: FloorRequest, device: str, role: str) -> None:
        previous = b.current("talkgroup", msg.group_id)
        if previous is not None and not isinstance(previous, TalkGroupState):
            raise Refusal("invalid", "not a talk group")
        floor = floor_of(previous)
        try:
            match msg.action:
                case "join":
                    after = floor.join(device)
                case "leave":
                    after = floor.leave(device, b.now)
                case "request":
                    after = floor.request(device, priority_of(role), b.now)
                case _:
                    after = floor.release(device, b.now)
        except FloorError as exc:
            raise Refusal("invalid", str(exc)) from exc
        if after == floor and previous is not None:
            return
        if not after.members:
            b.pending[("talkgroup", msg.group_id)] = None
        else:
            b.pending[("talkgroup", msg.group_id)] = group_state(
                msg.group_id, after, b.now, previous, msg.incident_id, msg.label
            )
        if after.talker != floor.talker or after.revoked:
            b.audits.append(AuditRecord(device, "floor", msg.group_id, after.last_event[:400]))


def sweep_media(
    sessions: Mapping[str, object], groups: Mapping[str, object], online: set[str], now: datetime
) -> tuple[list[tuple[str, str, object | None]], list[AuditRecord]]:
    """Periodic upkeep: forget ended sessions after a while, end offers nobody answered and
    sessions whose party went offline; take the floor from a talker who held it too long or
    went offline, and drop offline members from the queue. Returns the changes
    (topic, key, value) and their audit lines."""
    changes: list[tuple[str, str, object | None]] = []
    audits: list[AuditRecord] = []
    for key, value in sessions.items():
        if not isinstance(value, MediaSessionState):
            continue
        if value.status == "ended":
            if now - value.updated >= ENDED_KEPT:
                changes.append(("media", key, None))
            continue
        reason = ""
        if value.status == "offered" and now - value.created >= UNANSWERED_AFTER:
            reason = "not answered within 60 s"
        for party in (value.caller, value.callee):
            if party not in online:
                reason = f"{party} went offline"
        if reason:
            changes.append(
                (
                    "media",
                    key,
                    msgspec.structs.replace(
                        value,
                        status="ended",
                        ended_by="hub",
                        reason=reason,
                        updated=now,
                        offer_sdp="",
                        answer_sdp="",
                    ),
                )
            )
            audits.append(AuditRecord("hub", "media_end", key, reason))
    for key, value in groups.items():
        if not isinstance(value, TalkGroupState):
            continue
        floor = floor_of(value)
        after = floor.expire(now)
        for member in [floor.talker, *(d for d, _ in floor.queue)]:
            if member and member not in online:
                after = after.drop(member, now)
        if after != floor:
            changes.append(("talkgroup", key, group_state(key, after, now, value)))
            audits.append(AuditRecord("hub", "floor", key, after.last_event[:400]))
    return changes, audits
