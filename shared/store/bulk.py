"""Bulk inserts for the hub's hot path, straight to the driver's ``executemany``.

SQLAlchemy Core spends ~10 µs per row on parameter processing; for position reports that is
most of the hub's time. These statements are built from the same table metadata, bind rows
as plain tuples, and convert timestamps the way the ORM type does (UTC; SQLite keeps the
same text format SQLAlchemy writes, so ORM reads are unaffected).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Table

from shared.store.types import to_epoch_us


def _aware_time(value: datetime) -> datetime:
    return value.astimezone(UTC)


def placeholder(dialect: Dialect) -> str:
    """The DB-API parameter marker of ``dialect``."""
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if mark is None:
        raise ValueError(f"unsupported DB-API paramstyle {dialect.paramstyle!r}")
    return mark


class ExistingIds:
    """Which of many ids already exist in some tables' ``msg_id`` columns, and which device
    sent each (the tables' ``device`` column), in one round trip per table and chunk, without
    SQLAlchemy's per-literal coercion."""

    CHUNK = 500

    def __init__(self, dialect: Dialect, tables: Sequence[Table]) -> None:
        self.mark = placeholder(dialect)
        self.tables = [t.name for t in tables]
        self._sql: dict[int, str] = {}

    def _statement(self, n: int) -> str:
        sql = self._sql.get(n)
        if sql is None:
            marks = ", ".join([self.mark] * n)
            sql = " UNION ALL ".join(
                f"SELECT msg_id, device FROM {t} WHERE msg_id IN ({marks})" for t in self.tables
            )
            self._sql[n] = sql
        return sql

    def __call__(self, conn: Connection, ids: Sequence[str]) -> dict[str, str]:
        """Those of ``ids`` already stored, each with the device that sent it."""
        found: dict[str, str] = {}
        for i in range(0, len(ids), self.CHUNK):
            part = tuple(ids[i : i + self.CHUNK])
            params = part * len(self.tables)
            rows = conn.exec_driver_sql(self._statement(len(part)), params)
            found.update((r[0], r[1]) for r in rows)
        return found


class BulkInsert:
    """``INSERT INTO table (columns) VALUES (…)`` executed for many tuples at once."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str]) -> None:
        for name in columns:
            if name not in table.c:
                raise ValueError(f"{table.name} has no column {name!r}")
        marks = placeholder(dialect)
        self.columns = tuple(columns)
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(self.columns)}) "
            f"VALUES ({', '.join([marks] * len(self.columns))})"
        )
        self.time: Callable[[datetime], Any] = (
            to_epoch_us if dialect.name == "sqlite" else _aware_time
        )

    def execute(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in column order) inside the caller's transaction."""
        if rows:
            conn.exec_driver_sql(self.sql, rows)
