"""Real test databases: a SQLite file, or a fresh PostgreSQL database per test.

Alembic runs once per test session into a template -- a SQLite file, a PostgreSQL database
named uniquely for this process -- and each test gets a copy of it: copying a small file or
``CREATE DATABASE ... TEMPLATE`` takes milliseconds where a fresh upgrade through every revision
took 0.1-0.3 s per test. The migration tests still run real upgrades and downgrades on empty
databases.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from backend.migrate import upgrade

POSTGRES_ENV = "SANAT_TEST_POSTGRES_URL"
REDIS_ENV = "SANAT_TEST_REDIS_URL"
REQUIRE_ENV = "SANAT_TEST_REQUIRE_SERVICES"


def service_url(env: str) -> str:
    """The service's URL, or skip (fail in CI, where the services must be there)."""
    url = os.environ.get(env)
    if not url:
        message = f"{env} is not set"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(message + f" but {REQUIRE_ENV} says the services are required")
        pytest.skip(message)
    return url


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite_template(path: Path) -> Path:
    """A SQLite file at ``path`` migrated to head, as one self-contained file to copy."""
    upgrade(sqlite_url(path))
    with sqlite3.connect(path) as connection:  # fold the write-ahead log into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    return path


def copy_sqlite_database(template: Path, path: Path) -> str:
    """A copy of ``template`` at ``path``; its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return sqlite_url(path)


@contextmanager
def migrated_postgres_template(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database migrated to head, to copy with ``fresh_postgres_database``; its
    name, unique to this process (parallel test runs on one server each have their own), and
    dropped afterwards.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"sanat_template_{worker}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_postgres_database(admin_url: str, template: str | None = None) -> Iterator[str]:
    """CREATE DATABASE sanat_test_<random> (a copy of ``template`` if given, else empty),
    yield its URL, DROP it afterwards.

    The database commits without waiting for its WAL flush (``synchronous_commit = off``): the
    delivery worker commits every outcome on its own, and an fsync per commit (~15 ms here)
    would make a 10 000-recipient run take minutes. Durability of a throwaway database is not
    under test -- the crash tests kill the worker process, never PostgreSQL -- and commits stay
    atomic and in order, so every guarantee the tests check is unchanged.
    """
    name = f"sanat_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(
        _admin(
            admin_url,
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
            f'ALTER DATABASE "{name}" SET synchronous_commit = off',
        )
    )
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
