"""The append-only audit log: who did what and when, each entry chained by hash.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical
fields, so editing or deleting any entry breaks every later link. The single ``audit_head``
row holds the latest sequence number and hash; it is read and updated in the same
transaction as the append, which serialises writers (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: ``SELECT … FOR UPDATE``) and reveals a truncated tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from shared.store.models import AuditEntry, AuditHead

GENESIS = b"\x00" * 32


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An entry to append: ``actor`` did ``action`` to ``subject``; ``detail`` says more."""

    actor: str
    action: str
    subject: str = ""
    detail: str = ""
    at: datetime | None = None


def _canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev: bytes, seq: int, at: datetime, actor: str, action: str, subject: str, detail: str
) -> bytes:
    """The chained hash of one entry."""
    body = json.dumps(
        [seq, _canonical_time(at), actor, action, subject, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return hashlib.sha256(prev + body).digest()


def append(conn: Connection, records: Iterable[AuditRecord]) -> int:
    """Append ``records`` inside the caller's transaction; returns the new head sequence."""
    records = list(records)
    if not records:
        return -1
    head = conn.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()
    ).first()
    if head is None:
        raise RuntimeError("audit head row missing: the store was not migrated (alembic upgrade)")
    seq: int = head.seq
    prev: bytes = head.hash
    rows = []
    now = datetime.now(UTC)
    for rec in records:
        seq += 1
        at = rec.at or now
        digest = entry_hash(prev, seq, at, rec.actor, rec.action, rec.subject, rec.detail)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": rec.actor,
                "action": rec.action,
                "subject": rec.subject,
                "detail": rec.detail,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    conn.execute(insert(AuditEntry), rows)
    conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    return seq


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify`: ``ok`` when the chain is whole; otherwise ``problems``."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when no entry was edited, inserted, reordered or deleted."""
        return not self.problems


def verify(engine: Engine, *, batch: int = 5000) -> VerifyResult:
    """Walk the whole chain and report every broken link."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    with engine.connect() as conn:
        head = conn.execute(select(AuditHead.seq, AuditHead.hash)).first()
        last = 0
        while True:
            chunk = conn.execute(
                select(AuditEntry.__table__)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            ).all()
            if not chunk:
                break
            for e in chunk:
                count += 1
                if e.seq != expected_seq:
                    problems.append(
                        f"entry {expected_seq}"
                        + (f"–{e.seq - 1}" if e.seq - 1 > expected_seq else "")
                        + " missing (deleted)"
                    )
                if e.prev_hash != prev:
                    problems.append(f"entry {e.seq}: does not link to the entry before it")
                digest = entry_hash(
                    e.prev_hash, e.seq, e.at, e.actor, e.action, e.subject, e.detail
                )
                if digest != e.hash:
                    problems.append(f"entry {e.seq}: content does not match its hash (edited)")
                prev = e.hash
                expected_seq = e.seq + 1
                last = e.seq
    if head is None:
        problems.append("audit head is missing (deleted)")
    else:
        if head.seq != last:
            problems.append(
                f"head says the last entry is {head.seq} but the log ends at {last} "
                "(entries deleted from the end)"
            )
        elif head.hash != prev:
            problems.append("head hash does not match the last entry (edited)")
    return VerifyResult(entries=count, problems=problems)
