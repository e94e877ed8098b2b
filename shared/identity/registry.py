"""Enrolment and revocation of devices in the store (used by the CLI and the hub)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from shared.identity.keys import Bundle, Endpoints, KeyPair
from shared.identity.roles import ROLES
from shared.store.audit import AuditRecord, append
from shared.store.models import Device, Meta

REVISION_KEY = "devices_revision"


class EnrolmentError(Exception):
    """An enrolment or revocation that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """An enrolled device as the hub sees it."""

    name: str
    role: str
    public_key: str
    expires_at: datetime | None
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _bump_revision(conn: Connection) -> int:
    current = conn.execute(select(Meta.value).where(Meta.key == REVISION_KEY)).scalar()
    if current is None:
        conn.execute(insert(Meta).values(key=REVISION_KEY, value=1))
        return 1
    conn.execute(update(Meta).where(Meta.key == REVISION_KEY).values(value=current + 1))
    return current + 1


def devices_revision(engine: Engine) -> int:
    """A counter that changes whenever a device is enrolled or revoked."""
    with engine.connect() as conn:
        return conn.execute(select(Meta.value).where(Meta.key == REVISION_KEY)).scalar() or 0


def enroll(
    engine: Engine,
    *,
    name: str,
    role: str,
    hub_public_key: str,
    endpoints: Endpoints,
    actor: str = "admin",
    valid_days: int | None = 365,
) -> Bundle:
    """Create a device identity and record it; returns the bundle to hand to the device.

    Raises:
        EnrolmentError: unknown role, empty or duplicate name.
    """
    if role not in ROLES:
        raise EnrolmentError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise EnrolmentError("device name must be 1–128 characters without spaces")
    keys = KeyPair.generate()
    now = datetime.now(UTC)
    expires = now + timedelta(days=valid_days) if valid_days else None
    with engine.begin() as conn:
        exists = conn.execute(
            select(Device.id, Device.revoked_at, Device.role).where(Device.name == name)
        ).first()
        if exists and exists.revoked_at is None:
            raise EnrolmentError(
                f"a device named {name!r} is already enrolled; revoke it first or pick another name"
            )
        rev = _bump_revision(conn)
        if exists:
            # Re-keying a revoked device under its name: what it queued while revoked (its
            # outbox, sent as this name) is taken under the new key.
            conn.execute(
                update(Device)
                .where(Device.id == exists.id)
                .values(
                    role=role,
                    public_key=keys.public,
                    enrolled_at=now,
                    expires_at=expires,
                    revoked_at=None,
                    revision=rev,
                )
            )
            append(
                conn,
                [
                    AuditRecord(
                        actor, "rekey", name, f"role={exists.role}->{role} key={keys.public}"
                    )
                ],
            )
            return Bundle(name, role, keys, hub_public_key, endpoints, now, expires)
        conn.execute(
            insert(Device).values(
                name=name,
                role=role,
                public_key=keys.public,
                enrolled_at=now,
                expires_at=expires,
                revoked_at=None,
                revision=rev,
            )
        )
        append(conn, [AuditRecord(actor, "enroll", name, f"role={role} key={keys.public}")])
    return Bundle(name, role, keys, hub_public_key, endpoints, now, expires)


def revoke(engine: Engine, name: str, *, actor: str = "admin", reason: str = "") -> None:
    """Refuse ``name``'s key from now on (a running hub cuts its session within 1 s).

    Raises:
        EnrolmentError: no such device, or already revoked.
    """
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(Device.id, Device.revoked_at).where(Device.name == name)).first()
        if row is None:
            raise EnrolmentError(f"no device named {name!r} is enrolled")
        if row.revoked_at is not None:
            raise EnrolmentError(f"device {name!r} was already revoked at {row.revoked_at}")
        rev = _bump_revision(conn)
        conn.execute(update(Device).where(Device.id == row.id).values(revoked_at=now, revision=rev))
        append(conn, [AuditRecord(actor, "revoke", name, reason)])


def list_devices(engine: Engine) -> list[DeviceInfo]:
    """Every enrolled device, revoked ones included."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Device.name, Device.role, Device.public_key, Device.expires_at, Device.revoked_at
            ).order_by(Device.name)
        ).all()
    return [DeviceInfo(r.name, r.role, r.public_key, r.expires_at, r.revoked_at) for r in rows]
