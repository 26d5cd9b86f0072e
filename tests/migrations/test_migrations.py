"""Stairway: every revision up, down and up again; and the models match the migrations."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import backend.models  # noqa: F401
from backend.db import create_engine
from backend.migrate import downgrade_async, revisions, upgrade_async
from backend.settings import DatabaseSettings


async def _tables(url: str) -> set[str]:
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_stairway(database_url: str) -> None:
    steps = revisions(database_url)
    assert steps, "no migrations found"
    previous = "base"
    for revision in steps:
        await upgrade_async(database_url, revision)
        await downgrade_async(database_url, previous)
        await upgrade_async(database_url, revision)
        previous = revision
    assert await _tables(database_url) == set(SQLModel.metadata.tables)
    await downgrade_async(database_url, "base")
    assert await _tables(database_url) == set()


async def test_models_and_migrations_agree(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = create_engine(DatabaseSettings(url=database_url))

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []
