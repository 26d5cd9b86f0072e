"""The one-trip aiosqlite cursor (backend.sqlite_cursor) behaves as SQLAlchemy's own: rows,
rowcount, lastrowid, executemany, errors and the transaction, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import exc, text

from backend.db import create_engine
from backend.settings import DatabaseSettings
from backend.sqlite_cursor import OneTripCursor


async def test_statements_through_one_trip_cursor(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"))
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)  # type: ignore[union-attr]
            await connection.execute(
                text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
            )
            inserted = await connection.execute(text("INSERT INTO t (v) VALUES ('a')"))
            assert inserted.lastrowid == 1
            many = await connection.execute(
                text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}]
            )
            assert many.rowcount == 2
            updated = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
            assert updated.rowcount == 2
            returned = await connection.execute(
                text("UPDATE t SET v = 'z' WHERE id = 1 RETURNING id, v")
            )
            assert returned.all() == [(1, "z")]
            with pytest.raises(exc.IntegrityError):
                await connection.execute(text("INSERT INTO t (v) VALUES ('z')"))
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT id, v FROM t ORDER BY id"))
            assert list(rows.keys()) == ["id", "v"]
            assert rows.all() == [(1, "z"), (2, "b!"), (3, "c!")]
            assert (await connection.execute(text("SELECT v FROM t WHERE id = 9"))).all() == []
        # a rolled-back transaction leaves nothing behind
        async with engine.connect() as connection:
            await connection.execute(text("INSERT INTO t (v) VALUES ('gone')"))
            await connection.rollback()
            count = await connection.scalar(text("SELECT count(*) FROM t"))
            assert count == 3
    finally:
        await engine.dispose()
