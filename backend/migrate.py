"""Run Alembic migrations programmatically (``sanat migrate``, tests, ``make run``)."""

from __future__ import annotations

import asyncio
import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# The delivery workers' shared send limits: UNLOGGED tables that migration 0013 creates and no
# model maps (``backend.delivery.shared_limits``).
UNMAPPED_TABLE_PREFIX = "sanat_send_"


def mapped_by_models(name: str | None, type_: str, _parent_names: object = None) -> bool:
    """Alembic's ``include_name``: autogenerate compares everything but the unmapped tables."""
    return not (type_ == "table" and name is not None and name.startswith(UNMAPPED_TABLE_PREFIX))


FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("path_separator", "os")
    config.set_main_option("prepend_sys_path", str(PROJECT_ROOT))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def revisions(database_url: str) -> list[str]:
    """Revision ids from the first to head."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@functools.cache
def head_revision() -> str | None:
    """The revision ``sanat migrate`` upgrades to (the scripts' one head)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    # Alembic's env.py runs its own event loop; keep it off the caller's loop.
    await asyncio.to_thread(upgrade, database_url, revision)


async def downgrade_async(database_url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade, database_url, revision)
