"""Stairway: every revision up, down and up again; and the models match the migrations."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import backend.models  # noqa: F401
from backend.db import create_engine
from backend.migrate import (
    current_revision,
    downgrade_async,
    mapped_by_models,
    revisions,
    upgrade_async,
)
from backend.settings import DatabaseSettings


async def _all_tables(url: str) -> set[str]:
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _tables(url: str) -> set[str]:
    """The tables the models map."""
    return {name for name in await _all_tables(url) if mapped_by_models(name, "table")}


async def _send_limit_tables(url: str) -> set[str]:
    return await _all_tables(url) - await _tables(url)


async def test_send_limit_tables_come_with_the_migrations_on_postgresql(
    empty_database_url: str,
) -> None:
    await upgrade_async(empty_database_url)
    expected = {"sanat_send_places", "sanat_send_chats"}
    postgres = empty_database_url.startswith("postgresql")
    assert await _send_limit_tables(empty_database_url) == (expected if postgres else set())


async def test_stairway(empty_database_url: str) -> None:
    steps = revisions(empty_database_url)
    assert steps, "no migrations found"
    previous = "base"
    for revision in steps:
        await upgrade_async(empty_database_url, revision)
        await downgrade_async(empty_database_url, previous)
        await upgrade_async(empty_database_url, revision)
        previous = revision
    assert await _tables(empty_database_url) == set(SQLModel.metadata.tables)
    await downgrade_async(empty_database_url, "base")
    assert await _tables(empty_database_url) == set()
    assert await _send_limit_tables(empty_database_url) == set()  # 0013's downgrade dropped them


async def test_models_and_migrations_agree(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    engine = create_engine(DatabaseSettings(url=empty_database_url))

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": mapped_by_models}
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_every_test_database_starts_at_head(engine: AsyncEngine) -> None:
    """``database_url`` is a copy of the session's migrated template, not an empty database."""
    assert await current_revision(engine) == revisions(str(engine.url))[-1]
    assert await _tables(engine.url.render_as_string(hide_password=False)) == set(
        SQLModel.metadata.tables
    )
