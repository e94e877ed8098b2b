"""Opening the store: SQLite (WAL, the default) or PostgreSQL, migrated to the latest schema."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(Exception):
    """The store cannot be opened or used; the message says what to do."""


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level so SQLAlchemy's BEGIN below is the only one issued.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we acknowledge it, even across a power cut.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: two processes (hub and CLI) appending to the
    # audit chain serialise instead of failing on a lock upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str, *, migrate: bool = True) -> Engine:
    """Create an engine for ``url`` and bring its schema to the latest migration.

    Raises:
        StoreError: the URL is malformed, the server unreachable, or migration failed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"database URL {url!r} is malformed ({exc}); use sqlite+pysqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif backend == "postgresql":
        engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
    else:
        raise StoreError(f"database backend {backend!r} is not supported; use sqlite or postgresql")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(
            f"cannot reach the database at {parsed.render_as_string(hide_password=True)}: "
            f"{exc.orig}; check that the server runs and the URL is right"
        ) from None
    if migrate:
        upgrade(engine)
    return engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs this package's migrations on ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commit on success, roll back on error."""
    with engine.begin() as conn:
        yield conn
