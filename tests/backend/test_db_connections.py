"""The engine's connection handling: what it spares per bot update, and that a dead connection
is still replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import db
from backend.db import create_engine, create_session_pool
from backend.settings import DatabaseSettings
from backend.users import get_or_create_user

# Ping and pg_backend_pid are PostgreSQL's: these run on PostgreSQL only, not as SQLite skips.
ONLY_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(admin: AsyncEngine, pid: int) -> None:
    async with admin.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@ONLY_POSTGRES
async def test_an_idle_dead_connection_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(DatabaseSettings(url=database_url, pool_size=1))
    admin = create_engine(DatabaseSettings(url=database_url))
    try:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout pings
        pid = await _backend_pid(engine)
        await _kill(admin, pid)
        assert await _backend_pid(engine) != pid  # pinged, found dead, replaced: no error
    finally:
        await engine.dispose()
        await admin.dispose()


@ONLY_POSTGRES
async def test_a_just_used_connection_is_not_pinged_and_a_dead_one_fails_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(DatabaseSettings(url=database_url, pool_size=1))
    admin = create_engine(DatabaseSettings(url=database_url))
    try:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # never idle long enough
        pid = await _backend_pid(engine)
        await _kill(admin, pid)
        with pytest.raises(exc.DBAPIError) as raised:
            await _backend_pid(engine)  # not pinged: the statement meets the dead connection
        assert raised.value.connection_invalidated
        assert await _backend_pid(engine) != pid  # the next checkout has a new connection
    finally:
        await engine.dispose()
        await admin.dispose()


@ONLY_POSTGRES
async def test_a_bot_update_after_a_database_restart_reads_its_user_on_a_new_connection(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user read that starts every update repeats itself once on a new connection when the
    unpinged one it got was dead: the departure above costs the bot no failed update."""
    engine = create_engine(DatabaseSettings(url=database_url, pool_size=1))
    admin = create_engine(DatabaseSettings(url=database_url))
    session_pool = create_session_pool(engine)
    try:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
        async with session_pool() as session:
            created = await get_or_create_user(
                session=session, telegram_id=5551, username="t5551", full_name=None
            )
        pid = await _backend_pid(engine)
        await _kill(admin, pid)  # as a restart of PostgreSQL would
        async with session_pool() as session:
            again = await get_or_create_user(
                session=session, telegram_id=5551, username="t5551", full_name=None
            )
        assert again.id == created.id
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_sqlite_still_rolls_back_what_was_not_committed(tmp_path: Path) -> None:
    # Rollbacks are skipped only where sqlite3 has no transaction open.
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}"))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            await connection.rollback()
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t VALUES (2)"))  # closed uncommitted
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t VALUES (3)"))
            await connection.commit()
            rows = (await connection.execute(text("SELECT x FROM t"))).scalars().all()
        assert rows == [3]
    finally:
        await engine.dispose()
