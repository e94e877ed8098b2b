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

TOPICS = ("unit", "incident", "presence", "report", "order", "alarm")
"""State topics, in the order a snapshot serves them."""

HEARTBEAT_TOPIC = "hb"


class UnitState(msgspec.Struct, frozen=True, tag="unit"):
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


class IncidentState(msgspec.Struct, frozen=True, tag="incident"):
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


PresenceStatus = Literal["online", "stale", "offline"]


class PresenceState(msgspec.Struct, frozen=True, tag="presence"):
    """Whether a device is in contact: online, stale (missed beats) or offline."""

    device: str
    role: str
    status: PresenceStatus
    last_seen: datetime | None


class ReportState(msgspec.Struct, frozen=True, tag="report"):
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


class OrderStatus(msgspec.Struct, frozen=True, tag="order"):
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


class AlarmState(msgspec.Struct, frozen=True, tag="alarm"):
    """A reporting deadline about to pass (due_soon) or passed (overdue) without its report.
    Keyed ``INCIDENT:RULE``; removed when the report is filed or the incident closed."""

    incident_id: str
    rule: str
    name: str
    due: datetime
    kind: str
    raised: datetime
    exercise: bool = False


StateValue = UnitState | IncidentState | PresenceState | ReportState | OrderStatus | AlarmState


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
