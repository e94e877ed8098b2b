"""The intake's ledger of department requests: what each ``request_id`` carried and became.

One row per (certificate, request_id): the body's digest, the hub message id, and the
answer (``stored``, ``queued``, ``refused`` with the hub's reason). It makes the intake's
answers mean what they say:

* a reused ``request_id`` with another body is a 409, never a silent drop of the new body;
* an exact retry gets the stored answer again (a retried ``completed`` is 201, not 422);
* a request answered 202 ``queued`` is settled later from the hub's acknowledgement or
  refusal, and ``GET /v1/requests/{request_id}`` tells the department which.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

Status = str  # "stored" | "queued" | "refused"


@dataclass(frozen=True)
class Entry:
    """One request as the ledger holds it."""

    cn: str
    request_id: str
    digest: str
    message_id: str
    status: Status
    http: int
    reason: str
    updated: str


def body_digest(raw: bytes) -> str:
    """The digest a retry must match (the body's bytes as sent)."""
    return hashlib.sha256(raw).hexdigest()


class Ledger:
    """The ledger, in ``path`` (SQLite, one writer: the intake process)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS requests (cn TEXT, request_id TEXT, digest TEXT, "
            "message_id TEXT UNIQUE, status TEXT, http INTEGER, reason TEXT, updated TEXT, "
            "PRIMARY KEY (cn, request_id))"
        )

    def close(self) -> None:
        self._db.close()

    def get(self, cn: str, request_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM requests WHERE cn = ? AND request_id = ?", (cn, request_id)
            ).fetchone()
        return Entry(*row) if row else None

    def record(
        self,
        cn: str,
        request_id: str,
        digest: str,
        message_id: str,
        status: Status,
        http: int,
        reason: str = "",
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cn, request_id) "
                "DO UPDATE SET status = excluded.status, http = excluded.http, "
                "reason = excluded.reason, updated = excluded.updated",
                (cn, request_id, digest, message_id, status, http, reason, now),
            )

    def settle(self, message_id: str, status: Status, http: int, reason: str = "") -> None:
        """The hub answered a request that was queued."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "UPDATE requests SET status = ?, http = ?, reason = ?, updated = ? "
                "WHERE message_id = ? AND status = 'queued'",
                (status, http, reason, now, message_id),
            )
