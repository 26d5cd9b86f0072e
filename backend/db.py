"""Async engine and session factories: the same code on SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import sqlite_cursor, sqlite_writes
from backend.settings import DatabaseSettings

SessionPool = async_sessionmaker[AsyncSession]


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked; WAL lets the scheduler write while the bot reads,
    # and in WAL mode synchronous=NORMAL stays consistent after a crash while sparing an fsync
    # per commit (a power cut may lose the last commits, never corrupt the file).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _line_up_writers(engine: AsyncEngine) -> None:
    """The engine's connections write one at a time, in order (``backend.sqlite_writes``)."""
    gate = sqlite_writes.WriteGate()

    def connect(dbapi_connection: Any, _record: Any) -> None:
        sqlite_writes.attach(dbapi_connection.driver_connection, gate)

    event.listen(engine.sync_engine, "connect", connect)


def _skip_idle_rollbacks(engine: AsyncEngine) -> None:
    """Roll back an SQLite connection only when it has a transaction open.

    sqlite3's ``rollback()`` is a no-op outside a transaction, but through aiosqlite every call
    is a round trip to the driver's thread: twice per session that only read (the session's end,
    then the pool's reset on return), on every bot update. ``in_transaction`` is sqlite3's own
    flag, read without a round trip; the pool's reset goes through the same dialect method.
    """
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and not getattr(driver, "in_transaction", True):
            return
        rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


PING_AFTER_IDLE_SECONDS = 2.0
_CHECKED_IN_AT = "sanat_checked_in_at"


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """``pool_pre_ping``, except for a connection back in the pool for less than
    ``PING_AFTER_IDLE_SECONDS``.

    asyncpg's ping is three round trips (BEGIN, an empty statement, ROLLBACK), paid on every
    checkout: every bot update. A connection that just did its work is alive; a stale one (the
    server restarted in those seconds) fails its statement instead, and SQLAlchemy then drops
    the pool's connections as after a failed ping. A failed ping raises ``DisconnectionError``,
    so that the pool replaces the connection, as ``pool_pre_ping`` does.
    """

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if (
            checked_in_at is not None
            and time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS
        ):
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            record.info.pop(_CHECKED_IN_AT, None)
            raise exc.DisconnectionError("the connection failed its ping") from error

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


def sqlite_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Create the async engine; for SQLite, also create the file's folder."""
    if settings.is_sqlite:
        path = sqlite_path(settings.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        sqlite_cursor.install()
        engine = create_async_engine(settings.url, echo=settings.echo)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        _line_up_writers(engine)
        _skip_idle_rollbacks(engine)
        return engine
    engine = create_async_engine(settings.url, echo=settings.echo, pool_size=settings.pool_size)
    _ping_idle_connections(engine)
    return engine


def create_session_pool(engine: AsyncEngine) -> SessionPool:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


UpsertInsert = postgresql.Insert | sqlite.Insert


def upsert_insert(connection: AsyncConnection | Connection, table: Any) -> UpsertInsert:
    """``INSERT`` into ``table`` in the connection's dialect, so that ``on_conflict_do_nothing``
    and ``on_conflict_do_update`` (with ``.excluded``) are available: Sanat runs on PostgreSQL
    and SQLite, whose ``ON CONFLICT`` clauses SQLAlchemy spells the same way. The one place that
    chooses between them."""
    return dialect_insert(connection.dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> UpsertInsert:
    """``upsert_insert`` by the dialect's name, for statements built once and cached."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"Sanat runs on PostgreSQL and SQLite, not {dialect}")
