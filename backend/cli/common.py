"""What every ``sanat admin`` command shares: settings, one database run, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool, create_engine, create_session_pool
from backend.logs import configure_logging, secrets_of
from backend.settings import Settings, load_settings

T = TypeVar("T")


def cli_settings() -> Settings:
    """Settings from the environment, with logging configured for a command."""
    settings = load_settings()
    configure_logging(settings.log, secrets_of(settings))
    return settings


class DatabaseNotReadyError(Exception):
    pass


def run_with_pool(settings: Settings, work: Callable[[SessionPool], Awaitable[T]]) -> T:
    """Run ``work`` on a fresh engine in its own event loop; the engine is disposed after."""

    async def main() -> T:
        engine = create_engine(settings.database)
        try:
            return await work(create_session_pool(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DBAPIError as exc:
        raise DatabaseNotReadyError(
            f"database error ({type(exc.orig).__name__}): is it migrated? run 'sanat migrate'"
        ) from exc


def run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``run_with_pool`` for the common case: one service call in one session."""

    async def in_session(pool: SessionPool) -> T:
        async with pool() as session:
            return await work(session)

    return run_with_pool(settings, in_session)


def fail(message: object, code: int) -> int:
    """Print ``message`` to stderr and return ``code``, the command's exit status."""
    print(message, file=sys.stderr)
    return code


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``handler`` that exits with status 2 and a hint when the database is not migrated."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DatabaseNotReadyError as exc:
            return fail(exc, 2)

    return run


def when(value: Any) -> str:
    """A timestamp for a listing column, ``-`` when there is none."""
    return value.isoformat(timespec="seconds") if value is not None else "-"
