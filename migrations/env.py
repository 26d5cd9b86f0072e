"""Alembic environment: async engine, metadata from the models, URL from Settings.

``backend.migrate.alembic_config`` passes an explicit URL through ``config.attributes``;
the plain ``alembic`` command falls back to ``SANAT_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON
from sqlalchemy.engine import Connection
from sqlmodel import AutoString, SQLModel

import backend.models  # noqa: F401  (registers every table on SQLModel.metadata)
from backend.db import create_engine
from backend.migrate import mapped_by_models
from backend.models.types import UTCDateTime
from backend.settings import DatabaseSettings, load_settings

config = context.config
target_metadata = SQLModel.metadata


def _database_settings() -> DatabaseSettings:
    url = config.attributes.get("database_url")
    return DatabaseSettings(url=url) if url else load_settings().database


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the project's column types by name so migrations stay readable."""
    if type_ != "type":
        return False
    if isinstance(obj, AutoString):  # SQLModel's str column is a plain VARCHAR
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import backend.models.types")
        return "backend.models.types.UTCDateTime()"
    if isinstance(obj, JSON) and getattr(obj, "_variant_mapping", None):
        autogen_context.imports.add("import backend.models.types")
        return "backend.models.types.JSONType"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_name=mapped_by_models,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    )


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_database_settings())
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller (autogenerate check) lends its own connection
        _run_sync(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(
        url=_database_settings().url, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
