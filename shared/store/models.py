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
