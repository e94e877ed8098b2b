"""The durable outbox: what the user did is stored here first, then sent, until acknowledged.

A plain SQLite file (WAL) owned by one client. Rows keep their insertion order, so after a
restart or a reconnect everything unacknowledged is resent in the order it was made.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""


class OutboxError(Exception):
    """The outbox cannot store more (disk full, file damaged); nothing stored is lost."""


class Outbox:
    """Thread-safe durable FIFO of encoded messages keyed by message id."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a crash of this process; acknowledged data is the
        # hub's responsibility, unacknowledged data is resent.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # Kept in memory from here on: the windows show it several times a second, and a
        # query per look would be file I/O on the GUI thread.
        self._count: int = self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def add(self, items: Iterable[tuple[str, str, bytes]]) -> int:
        """Append ``(id, kind, payload)`` rows in one transaction; returns how many were new."""
        rows = list(items)
        with self._lock:
            try:
                before = self._db.total_changes
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR IGNORE INTO outbox(id, kind, payload) VALUES (?, ?, ?)", rows
                )
                self._db.execute("COMMIT")
                added = self._db.total_changes - before
                self._count += added
                return added
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(
                    f"cannot queue {len(rows)} message(s) in {self.path}: {exc}; "
                    "free disk space — what is already queued is kept"
                ) from None

    def after(self, seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Up to ``limit`` rows with sequence greater than ``seq``, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()

    def remove(self, ids: Iterable[str]) -> None:
        """Forget acknowledged (or finally refused) messages."""
        rows = [(i,) for i in ids]
        if not rows:
            return
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM outbox WHERE id = ?", rows)
            self._db.execute("COMMIT")
            self._count -= self._db.total_changes - before

    def count(self) -> int:
        """Messages waiting for an acknowledgement (no file access)."""
        return self._count

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
