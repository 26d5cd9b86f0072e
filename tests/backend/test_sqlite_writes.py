"""Writers to one SQLite file wait in line (backend.sqlite_writes) instead of in SQLite's busy
handler: with ``busy_timeout`` at 0, where SQLite refuses a second writer at once, concurrent
writers all succeed, in the order they asked; and a writer stuck behind its own task's open
transaction still fails after the line's timeout instead of hanging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import sqlite_writes
from backend.db import create_engine
from backend.settings import DatabaseSettings


def refuse_busy_at_once(engine: AsyncEngine, gate_timeout: float | None = None) -> None:
    """SQLite answers "database is locked" at once instead of sleeping and retrying; with
    ``gate_timeout``, the engine's line of writers gives up after that many seconds."""
    gate = sqlite_writes.WriteGate(gate_timeout) if gate_timeout is not None else None

    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()
        if gate is not None:
            sqlite_writes.attach(dbapi_connection.driver_connection, gate)

    event.listen(engine.sync_engine, "connect", connect)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield engine
    await engine.dispose()


async def test_concurrent_writers_all_succeed_one_after_another(engine: AsyncEngine) -> None:
    refuse_busy_at_once(engine)
    await engine.dispose()  # new connections, with the pragma above
    first_may_commit = asyncio.Event()
    order: list[str] = []

    async def writer(name: str) -> None:
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": name})
            order.append(f"{name} wrote")
            if name == "w0":
                await first_may_commit.wait()  # holds the write lock across awaits
            await connection.commit()
            order.append(f"{name} committed")

    tasks = [asyncio.create_task(writer("w0"))]
    await asyncio.sleep(0.05)
    tasks += [asyncio.create_task(writer(f"w{n}")) for n in range(1, 6)]
    await asyncio.sleep(0.05)
    assert order == ["w0 wrote"]  # the others wait in line, not in SQLite's busy handler
    first_may_commit.set()
    await asyncio.gather(*tasks)
    # Each writer's write and commit come together: no write starts inside another's.
    writers = [event.split()[0] for event in order]
    assert writers[0::2] == writers[1::2]
    assert sorted(writers[0::2]) == [f"w{n}" for n in range(6)]
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert stored == writers[0::2]


async def test_readers_do_not_wait_for_a_writer(engine: AsyncEngine) -> None:
    async with engine.connect() as writing:
        await writing.execute(text("INSERT INTO t (v) VALUES ('open')"))
        async with engine.connect() as reading:
            count = await asyncio.wait_for(reading.scalar(text("SELECT count(*) FROM t")), 1)
        assert count == 0  # WAL: the open transaction is not seen, nor waited for
        await writing.rollback()


async def test_the_line_moves_on_after_a_rollback_or_a_failed_statement(
    engine: AsyncEngine,
) -> None:
    refuse_busy_at_once(engine)
    await engine.dispose()

    async def write_elsewhere(value: str) -> None:
        """A write on another connection: it would wait out the line's timeout if stuck."""
        async with engine.connect() as other:
            await asyncio.wait_for(
                other.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value}), timeout=2
            )
            await other.commit()

    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO t (v) VALUES ('rolled back')"))
        await connection.rollback()
        await write_elsewhere("after a rollback")
        with pytest.raises(exc.OperationalError):  # fails before any transaction opens
            await connection.execute(text("INSERT INTO missing (v) VALUES ('x')"))
        await write_elsewhere("after a failed statement")
        await connection.execute(text("INSERT INTO t (v) VALUES ('committed')"))
        await connection.commit()
        await write_elsewhere("after a commit")
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert stored == [
        "after a rollback",
        "after a failed statement",
        "committed",
        "after a commit",
    ]


async def test_a_writer_behind_its_own_open_transaction_fails_instead_of_hanging(
    engine: AsyncEngine,
) -> None:
    refuse_busy_at_once(engine, gate_timeout=0.2)
    await engine.dispose()
    async with engine.connect() as first, engine.connect() as second:
        await first.execute(text("INSERT INTO t (v) VALUES ('held')"))
        with pytest.raises(exc.OperationalError, match="locked"):
            await asyncio.wait_for(
                second.execute(text("INSERT INTO t (v) VALUES ('blocked')")), timeout=3
            )
        await second.rollback()
        await first.commit()
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT v FROM t"))).scalars().all()
    assert stored == ["held"]
