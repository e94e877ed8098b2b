"""Column types shared by the models and the migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def to_epoch_us(value: datetime) -> int:
    """Exact microseconds since 1970-01-01 UTC (integer arithmetic, no float rounding)."""
    return (value - EPOCH) // _ONE_US


_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


def from_epoch_us(value: int) -> datetime:
    """The aware UTC datetime of :func:`to_epoch_us`.

    A stored value beyond the years a datetime holds (written before values were checked at
    the boundary) reads as the first or last moment a datetime holds instead of failing the
    whole query: the row stays as it is, and the hub's start-up quarantines it (its value
    is outside the years the record keeps) rather than refusing to start."""
    try:
        return EPOCH + timedelta(microseconds=value)
    except OverflowError:
        return _MAX if value > 0 else _MIN


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend.

    PostgreSQL: ``timestamptz``. SQLite, which has no timestamp type: exact integer
    microseconds since the epoch — they sort and compare correctly in SQL, and writing one
    costs a fifth of formatting text. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; times must carry a timezone")
        if dialect.name == "sqlite":
            return to_epoch_us(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_epoch_us(int(value))
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
