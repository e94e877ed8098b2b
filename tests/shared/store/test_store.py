"""The store on both backends: migrations, timestamps, the audit chain."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select, text

from shared.store import (
    AuditEntry,
    AuditRecord,
    StoreError,
    append,
    open_engine,
    transaction,
    verify,
)
from shared.store.models import Base, Incident
from shared.store.types import from_epoch_us, to_epoch_us


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    """The migrated schema and the declarative models agree: every table, column and index
    (Alembic's own comparison, as autogenerate would run it)."""
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0010"
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Server defaults and type spellings differ legitimately between dialects; structure may not.
    structural = [
        d
        for d in diff
        if d[0]
        in ("add_table", "remove_table", "add_column", "remove_column", "add_index", "remove_index")
    ]
    assert structural == [], structural
    assert {t for t in Base.metadata.tables} <= set(inspect(engine).get_table_names())


def test_migrating_twice_is_a_no_op(db_url: str) -> None:
    open_engine(db_url).dispose()
    eng = open_engine(db_url)
    eng.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def _incident(**changes: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        incident_id="I1",
        title="滏阳河 水位超警",
        lat=37.7,
        lon=115.6,
        status="reported",
        updated=datetime(2026, 7, 12, 13, 31, 38, tzinfo=UTC),
        updated_by="duty",
        exercise=False,
        closed_reason="",
    )
    row.update(changes)
    return row


def test_times_come_back_aware_and_equal(engine: Engine) -> None:
    when = datetime(2026, 7, 12, 21, 31, 38, 123456, tzinfo=timezone(timedelta(hours=8)))
    with transaction(engine) as conn:
        conn.execute(Incident.__table__.insert().values(**_incident(updated=when)))
    with engine.connect() as conn:
        got = conn.execute(select(Incident.updated)).scalar_one()
    assert got.tzinfo is not None and got == when


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), transaction(engine) as conn:
        row = _incident(incident_id="I2", updated=datetime(2026, 1, 1))
        conn.execute(Incident.__table__.insert().values(**row))


def _fill(engine: Engine, n: int) -> None:
    with transaction(engine) as conn:
        append(conn, [AuditRecord(f"actor{i}", "report", f"I{i}", "初报 详情") for i in range(n)])


def test_audit_chain_verifies(engine: Engine) -> None:
    _fill(engine, 50)
    result = verify(engine)
    assert result.ok, result.problems
    assert result.entries == 50


def test_audit_detects_an_edited_entry(engine: Engine) -> None:
    _fill(engine, 20)
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.update().where(AuditEntry.seq == 7).values(actor="x"))
    result = verify(engine)
    assert not result.ok
    assert any("entry 7" in p and "edited" in p for p in result.problems)


def test_audit_detects_a_deleted_entry_in_the_middle_and_at_the_end(engine: Engine) -> None:
    _fill(engine, 20)
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 10))
    assert any("entry 10 missing" in p for p in verify(engine).problems)
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.delete().where(AuditEntry.seq == 20))
    assert any("deleted from the end" in p for p in verify(engine).problems)


def test_concurrent_writers_keep_one_unbroken_chain(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(25):
                with transaction(engine) as conn:
                    append(conn, [AuditRecord(f"w{k}", "tick", str(i))])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = verify(engine)
    assert result.ok, result.problems
    assert result.entries == 100


def test_bad_urls_get_clear_errors(tmp_path: object) -> None:
    with pytest.raises(StoreError, match="malformed"):
        open_engine("not a url")
    with pytest.raises(StoreError, match="not supported"):
        open_engine("mysql://x@localhost/db")
    with pytest.raises(StoreError, match="cannot reach"):
        open_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2400, 1, 1), timezones=st.timezones()
    )
)
def test_epoch_microseconds_round_trip_exactly(when: datetime) -> None:
    assert from_epoch_us(to_epoch_us(when)) == when.astimezone(UTC)  # the same instant
