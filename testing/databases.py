"""Real test databases: a SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

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


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """CREATE DATABASE sanat_test_<random>, yield its URL, DROP it afterwards.

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
            f'CREATE DATABASE "{name}"',
            f'ALTER DATABASE "{name}" SET synchronous_commit = off',
        )
    )
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
