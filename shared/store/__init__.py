"""The embedded store: SQLAlchemy 2 models, Alembic migrations, the audit chain."""

from shared.store.audit import AuditRecord, VerifyResult, append, verify
from shared.store.database import StoreError, open_engine, sqlite_url, transaction, upgrade
from shared.store.models import (
    AuditEntry,
    AuditHead,
    Base,
    Device,
    InboxEntry,
    Incident,
    Meta,
    Order,
    Position,
    Report,
)

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuditRecord",
    "Base",
    "Device",
    "InboxEntry",
    "Incident",
    "Meta",
    "Order",
    "Position",
    "Report",
    "StoreError",
    "VerifyResult",
    "append",
    "open_engine",
    "sqlite_url",
    "transaction",
    "upgrade",
    "verify",
]
