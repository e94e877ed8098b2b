"""Replicated state: what the hub publishes and what a snapshot holds (the Clone pattern).

Every topic has its own sequence number. A publication frame carries a batch of updates for
one topic with consecutive sequence numbers; a subscriber that sees a gap asks for a new
snapshot of that topic. ``hb`` frames (a :class:`HubBeat`) carry every topic's latest
sequence number once a second, so a lost tail is noticed too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from shared.protocol.messages import AttachmentRef, WarningArea

TOPICS = (
    "unit",
    "incident",
    "presence",
    "report",
    "order",
    "alarm",
    "resource",
    "response",
    "duty",
    "monitor",
    "relay",
    "warning",
    "emergency",
    "media",
    "talkgroup",
)
"""State topics, in the order a snapshot serves them."""

HEARTBEAT_TOPIC = "hb"


class UnitState(msgspec.Struct, frozen=True, kw_only=True, tag="unit"):
    """The latest known position and facts of one unit."""

    unit_id: str
    device: str
    lat: float
    lon: float
    fix_time: datetime
    heading_deg: float | None = None
    speed_mps: float | None = None
    unit_type: str = ""
    callsign: str = ""
    exercise: bool = False


class IncidentState(msgspec.Struct, frozen=True, kw_only=True, tag="incident"):
    """Headline facts of one incident."""

    incident_id: str
    title: str
    lat: float
    lon: float
    status: str
    updated: datetime
    level: int | None = None
    division: str | None = None
    exercise: bool = False
    closed_reason: str = ""
    type_code: str = ""
    computed_level: int | None = None
    level_criteria: list[str] = msgspec.field(default_factory=list)
    override_reason: str = ""
    dead: int = 0
    missing: int = 0
    seriously_injured: int = 0
    trapped: int = 0
    evacuated: int = 0
    direct_loss_cny: int = 0
    warnings: list[str] = msgspec.field(default_factory=list)
    area: list[tuple[float, float]] | None = None
    occurred: datetime | None = None
    status_note: str = ""
    """Why the incident reached its status (the note of its last lifecycle step)."""


PresenceStatus = Literal["online", "stale", "offline"]


class PresenceState(msgspec.Struct, frozen=True, kw_only=True, tag="presence"):
    """Whether a device is in contact: online, stale (missed beats) or offline."""

    device: str
    role: str
    status: PresenceStatus
    last_seen: datetime | None


class ReportState(msgspec.Struct, frozen=True, kw_only=True, tag="report"):
    """A situation report as the hall sees it (one per report, never overwritten)."""

    report_id: str
    incident_id: str
    stage: str
    title: str
    sender: str
    sent: datetime
    dead: int = 0
    missing: int = 0
    injured: int = 0
    exercise: bool = False
    source: str = "field"
    author: str = ""
    attachments: list[AttachmentRef] = msgspec.field(default_factory=list)
    version: int = 0
    """The report's place among the incident's reports (1 = the first)."""
    area: list[tuple[float, float]] | None = None
    """The area the sender sketched on the scene, a closed (lat, lon) ring."""


class OrderStatus(msgspec.Struct, frozen=True, kw_only=True, tag="order"):
    """A dispatch order and its latest state."""

    order_id: str
    recipient: str
    text: str
    state: str
    issued_by: str
    updated: datetime
    incident_id: str | None = None
    exercise: bool = False
    issued_at: datetime | None = None
    fallback: str | None = None
    resends: int = 0
    note: str = ""
    """The words of the latest answer (a decline's reason, a cancel's)."""


class AlarmState(msgspec.Struct, frozen=True, kw_only=True, tag="alarm"):
    """A reporting deadline about to pass (due_soon) or passed (overdue) without its report.
    Keyed ``INCIDENT:RULE``; removed when the report is filed or the incident closed."""

    incident_id: str
    rule: str
    name: str
    due: datetime
    kind: str
    raised: datetime
    exercise: bool = False
    detail: str = ""
    """What the alarm is about, in words (an order alarm: the order, its recipient and
    incident)."""


class ResourceState(msgspec.Struct, frozen=True, kw_only=True, tag="resource"):
    """A resource as registered, with its latest availability, occupancy, stock, reading."""

    resource_id: str
    resource_type: str
    name: str
    lat: float
    lon: float
    updated: datetime
    department: str = ""
    category: str = ""
    availability: str = "available"
    capacity: int = 0
    occupancy: int = 0
    stock: dict[str, int] = msgspec.field(default_factory=dict)
    phone: str = ""
    measure: str = ""
    warn_at: float | None = None
    alarm_at: float | None = None
    draft_type: str = ""
    last_value: float | None = None
    last_measured: datetime | None = None
    sample: bool = False
    stream_url: str = ""


class ChecklistItem(msgspec.Struct, frozen=True, kw_only=True):
    """One item of a response checklist."""

    item: str
    text: str
    done: bool = False
    by: str = ""
    at: datetime | None = None
    note: str = ""


class ResponseStep(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded change of a response: activate, raise, lower or end."""

    action: str
    level: int | None
    by: str
    at: datetime
    reason: str = ""


class ResponseState(msgspec.Struct, frozen=True, kw_only=True, tag="response"):
    """An incident's emergency response: its level (Ⅰ–Ⅳ), plan, orders and checklist."""

    incident_id: str
    plan: str
    level: int | None
    active: bool
    updated: datetime
    history: list[ResponseStep] = msgspec.field(default_factory=list)
    checklist: list[ChecklistItem] = msgspec.field(default_factory=list)
    orders: list[str] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)
    exercise: bool = False


class ShiftState(msgspec.Struct, frozen=True, kw_only=True, tag="shift"):
    """A roster entry (key ``shift:ID``)."""

    shift_id: str
    person: str
    post: str
    start: datetime
    end: datetime
    phone: str = ""


class DutyLogState(msgspec.Struct, frozen=True, kw_only=True, tag="duty_log"):
    """A duty-log line (key ``log:MSGID``); the latest few hundred are kept in the picture."""

    entry_id: str
    at: datetime
    by: str
    category: str
    text: str
    incident_id: str | None = None
    author: str = ""
    exercise: bool = False


class HandoverState(msgspec.Struct, frozen=True, kw_only=True, tag="handover"):
    """The latest shift handover (key ``handover``)."""

    at: datetime
    by: str
    from_person: str
    to_person: str
    notes: str = ""
    open_items: list[str] = msgspec.field(default_factory=list)
    open_alarms: int = 0
    open_orders: int = 0


class IncidentDraft(msgspec.Struct, frozen=True, kw_only=True):
    """An incident drafted from a monitoring alarm, waiting for a person to confirm it."""

    type_code: str
    title: str
    lat: float
    lon: float
    division: str | None = None


class MonitorAlarmState(msgspec.Struct, frozen=True, kw_only=True, tag="monitor"):
    """A monitoring point at or above a threshold (key: the point id). Removed when its
    reading falls below the warning threshold again."""

    point_id: str
    name: str
    measure: str
    value: float
    threshold: float
    severity: str
    """``warning`` or ``alarm``."""
    measured: datetime
    raised: datetime
    lat: float
    lon: float
    draft: IncidentDraft | None = None
    confirmed_as: str = ""
    exercise: bool = False


class RelayState(msgspec.Struct, frozen=True, kw_only=True, tag="relay"):
    """One relay destination's queue (the provincial platform, a drop folder): what waits,
    what was delivered, the last acknowledgement and the last error."""

    destination: str
    transport: str
    queued: int
    delivered: int
    rejected: int
    updated: datetime
    oldest_queued: datetime | None = None
    last_delivered: datetime | None = None
    last_ack: str = ""
    last_error: str = ""
    attempts: int = 0
    quarantined: int = 0
    """Alerts whose document could not be built (kept with the reason, never sent); the
    others are sent all the same."""
    quarantine_note: str = ""
    """The latest such reason, with its incident."""


class WarningState(msgspec.Struct, frozen=True, kw_only=True, tag="warning"):
    """An inbound warning (meteorological, earthquake …) in force, keyed by a digest of its
    CAP sender and identifier; removed when it expires or is cancelled or replaced."""

    key: str
    identifier: str
    cap_sender: str
    cap_sent: datetime
    msg_type: str
    event: str
    severity: str
    urgency: str
    certainty: str
    headline: str
    received: datetime
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    onset: datetime | None = None
    expires: datetime | None = None
    areas: list[WarningArea] = msgspec.field(default_factory=list)
    source: str = ""
    device: str = ""
    touches_city: bool = False
    draft: IncidentDraft | None = None
    """An incident the duty officer may confirm (``incident declare --from-draft
    warning:KEY``) when the warning touches the city."""
    confirmed_as: str = ""
    exercise: bool = False


class EmergencyState(msgspec.Struct, frozen=True, kw_only=True, tag="emergency"):
    """An emergency alert (SOS, man-down) not yet cancelled, keyed by its alert id: who,
    where, since when, how often repeated, and who in the hall acknowledged it."""

    alert_id: str
    device: str
    kind: str
    raised: datetime
    last_seen: datetime
    lat: float | None = None
    lon: float | None = None
    callsign: str = ""
    note: str = ""
    repeats: int = 0
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None
    exercise: bool = False
    aliases: list[str] = msgspec.field(default_factory=list)
    """Later alert ids the same device raised for the same trigger while this one was
    active (one active alarm per device and trigger: a new one updates it); the latest few."""


class SignInState(msgspec.Struct, frozen=True, kw_only=True, tag="sign_in"):
    """Who is signed in to duty at a device (key :func:`signin_key` in the duty topic)."""

    device: str
    role: str
    person: str
    since: datetime
    post: str = ""


def signin_key(device: str) -> str:
    """The duty topic's key of the person signed in at ``device``."""
    return f"signin:{device}"


class MediaSessionState(msgspec.Struct, frozen=True, kw_only=True, tag="media"):
    """A media session between two devices, keyed by its id: the SDP offer and answer (the
    signalling), who, why, for which incident, and how it ended."""

    session_id: str
    caller: str
    callee: str
    purpose: str
    status: str
    """offered, answered, ended"""
    created: datetime
    updated: datetime
    incident_id: str | None = None
    label: str = ""
    offer_sdp: str = ""
    answer_sdp: str = ""
    ended_by: str = ""
    reason: str = ""
    exercise: bool = False


class TalkGroupState(msgspec.Struct, frozen=True, kw_only=True, tag="talkgroup"):
    """A push-to-talk group's floor: members, the talker (and since when), the queue in
    order, the last event, and who last lost the floor against their will."""

    group_id: str
    members: list[str]
    talker: str = ""
    talker_priority: int = 0
    granted_at: datetime | None = None
    queue: list[str] = msgspec.field(default_factory=list)
    queue_priorities: list[int] = msgspec.field(default_factory=list)
    incident_id: str | None = None
    label: str = ""
    last_event: str = ""
    revoked: str = ""
    updated: datetime | None = None


StateValue = (
    UnitState
    | IncidentState
    | PresenceState
    | ReportState
    | OrderStatus
    | AlarmState
    | ResourceState
    | ResponseState
    | ShiftState
    | DutyLogState
    | HandoverState
    | MonitorAlarmState
    | RelayState
    | WarningState
    | EmergencyState
    | SignInState
    | MediaSessionState
    | TalkGroupState
)


class Update(msgspec.Struct, frozen=True, array_like=True):
    """One change: ``value`` is None when ``key`` was removed."""

    seq: int
    key: str
    value: StateValue | None


class UpdateBatch(msgspec.Struct, frozen=True):
    """Consecutive updates of one topic, published as one frame."""

    topic: str
    updates: list[Update]


class SnapshotChunk(msgspec.Struct, frozen=True):
    """Part of a snapshot answer. The last chunk has ``last=True``; ``seqs`` gives, per topic,
    the sequence number the snapshot is consistent with."""

    items: list[tuple[str, str, StateValue]]
    last: bool
    seqs: dict[str, int]
    epoch: str = ""
    error: str = ""


class HubBeat(msgspec.Struct, frozen=True):
    """Published once a second: the hub is alive, and these are the latest sequence numbers."""

    time: datetime
    seqs: dict[str, int]
    epoch: str = ""
