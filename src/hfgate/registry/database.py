"""The SQLAlchemy engine: SQLite (WAL) by default, PostgreSQL when ``HFGATE_DATABASE_URL`` says so."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from hfgate.config import Settings


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, with SQLite tuned for safe concurrent use."""
    url = settings.database_url_resolved
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def writing(engine: Engine) -> Engine:
    """The engine with write transactions that take SQLite's write lock at BEGIN (no upgrade races)."""
    return engine.execution_options(hfgate_write=True)


def _sqlite_begin(conn: Any) -> None:
    # pysqlite defers BEGIN until the first DML and commits DDL on its own; emit BEGIN ourselves so
    # that every transaction, DDL included, is atomic, and writers queue at BEGIN instead of failing
    # with "database is locked" when upgrading a read lock.
    immediate = conn.get_execution_options().get("hfgate_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by _sqlite_begin
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; FULL sync keeps every commit across a crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
