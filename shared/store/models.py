"""The hub's tables, SQLAlchemy 2 typed declarative. Schema changes go through Alembic only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.store.types import UTCDateTime

TZDateTime = UTCDateTime()


class Base(DeclarativeBase):
    """Declarative base for every table of the hub store."""


class Device(Base):
    """An enrolled device: its CURVE public key, role, and whether it is revoked."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[str] = mapped_column(String(40), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(TZDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


class InboxEntry(Base):
    """Every accepted request, by message id: what makes resends idempotent."""

    __tablename__ = "inbox"

    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    sent: Mapped[datetime] = mapped_column(TZDateTime)
    committed: Mapped[datetime] = mapped_column(TZDateTime)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)


class Position(Base):
    """Track history: every position report received."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(128))
    device: Mapped[str] = mapped_column(String(128))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    fix_time: Mapped[datetime] = mapped_column(TZDateTime)
    heading_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_mps: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit_type: Mapped[str] = mapped_column(String(64), default="")
    callsign: Mapped[str] = mapped_column(String(64), default="")
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_positions_unit_time", "unit_id", "fix_time"),
        Index("ix_positions_msg", "msg_id", unique=True),
    )


class Report(Base):
    """A situation report (初报/续报/终报): a new immutable row each time."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), index=True)
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    dead: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    sender: Mapped[str] = mapped_column(String(128))
    sent: Mapped[datetime] = mapped_column(TZDateTime)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    # Added in migration 0003: where it came from, who made it, its place in the sequence.
    source: Mapped[str] = mapped_column(String(16), default="field")
    author: Mapped[str] = mapped_column(String(512), default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Added in migration 0006: the area sketched on the scene (JSON [[lat, lon] …] or empty).
    area: Mapped[str] = mapped_column(Text, default="")


class Attachment(Base):
    """An attachment held in the blob store, by SHA-256 (content-addressed, immutable)."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_at: Mapped[datetime] = mapped_column(TZDateTime)
    uploaded_by: Mapped[str] = mapped_column(String(128))


class ReportAttachment(Base):
    """Which attachments a report carries, under which name and media type."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_msg_id: Mapped[str] = mapped_column(String(64), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)


class Incident(Base):
    """An incident's current headline facts."""

    __tablename__ = "incidents"

    incident_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(String(512))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    division: Mapped[str | None] = mapped_column(String(6), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    closed_reason: Mapped[str] = mapped_column(String(512), default="")
    updated: Mapped[datetime] = mapped_column(TZDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    # Added in migration 0002: type, facts, grading and override.
    type_code: Mapped[str] = mapped_column(String(64), default="")
    occurred: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    known_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    dead: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    seriously_injured: Mapped[int] = mapped_column(Integer, default=0)
    trapped: Mapped[int] = mapped_column(Integer, default=0)
    evacuated: Mapped[int] = mapped_column(Integer, default=0)
    direct_loss_cny: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    level_criteria: Mapped[str] = mapped_column(Text, default="")
    override_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    override_reason: Mapped[str] = mapped_column(String(512), default="")
    override_by: Mapped[str] = mapped_column(String(128), default="")
    # Added in migration 0003: the affected area and the draft it was confirmed from.
    area: Mapped[str] = mapped_column(Text, default="")
    """JSON list of [lat, lon] pairs, or empty."""
    draft_of: Mapped[str] = mapped_column(String(160), default="")
    # Added in migration 0010: what the hall is warned of about the incident's facts.
    warnings: Mapped[str] = mapped_column(Text, default="", server_default="")
    """One warning per line (a requested level the criteria do not give, an area that
    leaves the city …); kept so a restarted hub shows them still."""


class IncidentTransitionRow(Base):
    """Every lifecycle step of an incident: from, to, who, when, why."""

    __tablename__ = "incident_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    note: Mapped[str] = mapped_column(String(512), default="")


class IncidentChange(Base):
    """Every change of an incident's facts or level: which fact, before and after (JSON),
    who (the device, and the person signed in at it), when, from what (an update, a report,
    grading, an override) and why."""

    __tablename__ = "incident_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    fact: Mapped[str] = mapped_column(String(32))
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(512), default="")
    # Added in migration 0009: the person signed in at the device (empty: nobody was).
    person: Mapped[str] = mapped_column(String(128), default="")


class OrderEvent(Base):
    """Every step of an order with the words that came with it (a decline's reason)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(128), index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    note: Mapped[str] = mapped_column(String(512), default="")
    # Added in migration 0009: the person signed in at the device (empty: nobody was).
    person: Mapped[str] = mapped_column(String(128), default="")


class Order(Base):
    """A dispatch order and its latest state."""

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(128), index=True)
    incident_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    issued_by: Mapped[str] = mapped_column(String(128))
    updated: Mapped[datetime] = mapped_column(TZDateTime)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    # Added in migration 0002: escalation.
    issued_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    fallback: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    # Added in migration 0008: the words of the latest answer.
    note: Mapped[str] = mapped_column(String(512), default="")


class Resource(Base):
    """A rescue team, vehicle, depot, shelter, expert, monitoring point or facility."""

    __tablename__ = "resources"

    resource_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(512))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    department: Mapped[str] = mapped_column(String(512), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    availability: Mapped[str] = mapped_column(String(16), default="available")
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    occupancy: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[str] = mapped_column(Text, default="{}")
    """JSON object: item → count."""
    phone: Mapped[str] = mapped_column(String(32), default="")
    measure: Mapped[str] = mapped_column(String(64), default="")
    warn_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    alarm_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    draft_type: Mapped[str] = mapped_column(String(64), default="")
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_measured: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    updated: Mapped[datetime] = mapped_column(TZDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)
    stream_url: Mapped[str] = mapped_column(String(512), default="")
    """A camera's feed (RTSP or HTTP), pulled by the command side."""


class Reading(Base):
    """Every monitoring reading received."""

    __tablename__ = "readings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64))
    point_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[float] = mapped_column(Float)
    measured: Mapped[datetime] = mapped_column(TZDateTime)
    device: Mapped[str] = mapped_column(String(128))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_readings_point_time", "point_id", "measured"),)


class ResponseRow(Base):
    """An incident's emergency response: plan, level, whether active."""

    __tablename__ = "responses"

    incident_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    plan: Mapped[str] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    updated: Mapped[datetime] = mapped_column(TZDateTime)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    warnings: Mapped[str] = mapped_column(Text, default="")
    """Newline-separated: departments that got no order (liaison not enrolled) …"""
    orders: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the order ids the response created."""


class ResponseStepRow(Base):
    """Every activate / raise / lower / end of a response: who, when, why."""

    __tablename__ = "response_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    reason: Mapped[str] = mapped_column(String(512), default="")


class ChecklistRow(Base):
    """A checklist item of an incident's response."""

    __tablename__ = "checklist_items"

    incident_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(String(512))
    position: Mapped[int] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    by: Mapped[str] = mapped_column(String(128), default="")
    at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(512), default="")


class DutyLogRow(Base):
    """The duty log (值班日志): append-only."""

    __tablename__ = "duty_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    by: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    author: Mapped[str] = mapped_column(String(512), default="")
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)


class DutyShiftRow(Base):
    """The duty roster: who holds which post when."""

    __tablename__ = "duty_shifts"

    shift_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    person: Mapped[str] = mapped_column(String(128))
    post: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    end: Mapped[datetime] = mapped_column(TZDateTime)
    phone: Mapped[str] = mapped_column(String(32), default="")
    updated_by: Mapped[str] = mapped_column(String(128))


class HandoverRow(Base):
    """Every shift handover."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TZDateTime)
    by: Mapped[str] = mapped_column(String(128))
    from_person: Mapped[str] = mapped_column(String(128))
    to_person: Mapped[str] = mapped_column(String(128))
    notes: Mapped[str] = mapped_column(Text, default="")
    open_items: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of strings."""
    open_alarms: Mapped[int] = mapped_column(Integer, default=0)
    open_orders: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Append-only audit log; each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(TZDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """One row: the latest audit sequence number and hash. Locking it serialises writers."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Meta(Base):
    """Small key/value facts about the store (e.g. the device-table revision counter)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class RelayAlert(Base):
    """A CAP alert in its EDXL-DE envelope, built once, relayed to every destination."""

    __tablename__ = "relay_alerts"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    distribution_id: Mapped[str] = mapped_column(String(255), unique=True)
    identifier: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(512))
    """The alert as a CAP ``references`` entry (sender,identifier,sent)."""
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created: Mapped[datetime] = mapped_column(TZDateTime)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class RelayDelivery(Base):
    """One alert's journey to one destination: queued, then delivered, acknowledged or
    rejected, with its attempts."""

    __tablename__ = "relay_deliveries"
    __table_args__ = (
        Index("ix_relay_deliveries_dest_alert", "destination", "alert_seq", unique=True),
        Index("ix_relay_deliveries_dest_state", "destination", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_seq: Mapped[int] = mapped_column(Integer)
    destination: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[datetime] = mapped_column(TZDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    ack: Mapped[str] = mapped_column(Text, default="")


class ExternalWarningRow(Base):
    """An inbound warning as received (the message as JSON), never changed; the picture is
    rebuilt from these at start (expired, cancelled and replaced ones left out)."""

    __tablename__ = "external_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    identifier: Mapped[str] = mapped_column(String(255))
    cap_sender: Mapped[str] = mapped_column(String(255))
    cap_sent: Mapped[datetime] = mapped_column(TZDateTime)
    msg_type: Mapped[str] = mapped_column(String(16))
    expires: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    received: Mapped[datetime] = mapped_column(TZDateTime)
    device: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
