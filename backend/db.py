"""Async engine and session factories: the same code on SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

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
        engine = create_async_engine(settings.url, echo=settings.echo)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(
        settings.url, echo=settings.echo, pool_size=settings.pool_size, pool_pre_ping=True
    )


def create_session_pool(engine: AsyncEngine) -> SessionPool:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


UpsertInsert = postgresql.Insert | sqlite.Insert


def upsert_insert(connection: AsyncConnection | Connection, table: Any) -> UpsertInsert:
    """``INSERT`` into ``table`` in the connection's dialect, so that ``on_conflict_do_nothing``
    and ``on_conflict_do_update`` (with ``.excluded``) are available: Sanat runs on PostgreSQL
    and SQLite, whose ``ON CONFLICT`` clauses SQLAlchemy spells the same way. The one place that
    chooses between them."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"Sanat runs on PostgreSQL and SQLite, not {dialect}")
