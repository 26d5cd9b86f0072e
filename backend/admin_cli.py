"""``sanat admin token create | revoke | list``: API tokens on the configured database."""

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
from backend.models.api_token import ADMIN_SCOPE
from backend.services import api_tokens
from backend.settings import Settings, load_settings

T = TypeVar("T")


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log, secrets_of(settings))
    return settings


class DatabaseNotReadyError(Exception):
    pass


def _run(settings: Settings, work: Callable[[SessionPool], Awaitable[T]]) -> T:
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


def _run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``_run`` for the common case: one service call in one session."""

    async def in_session(pool: SessionPool) -> T:
        async with pool() as session:
            return await work(session)

    return _run(settings, in_session)


def _fail(message: object, code: int) -> int:
    """Print ``message`` to stderr and return ``code``, the command's exit status."""
    print(message, file=sys.stderr)
    return code


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DatabaseNotReadyError as exc:
            return _fail(exc, 2)

    return run


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def cmd_token_create(args: argparse.Namespace) -> int:
    settings = _settings()
    pepper = api_tokens.pepper_of(settings)
    try:
        created = _run(
            settings,
            lambda pool: api_tokens.create_token(
                pool, name=args.name, pepper=pepper, scope=args.scope
            ),
        )
    except ValueError as exc:
        return _fail(exc, 2)
    print(created.token)
    print(
        f"token {created.record.id} ({created.record.name!r}, scope {created.record.scope}) "
        "created; it is shown only this once",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        record = _run(settings, lambda pool: api_tokens.revoke_token(pool, args.id))
    except api_tokens.ApiTokenNotFoundError:
        return _fail(f"no API token with id {args.id}", 1)
    print(f"token {record.id} ({record.name!r}) revoked at {_when(record.revoked_at)}")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    settings = _settings()
    records = _run(settings, api_tokens.list_tokens)
    print(f"{'ID':>4}  {'NAME':<24} {'SCOPE':<16} {'CREATED':<25} {'LAST USED':<25} REVOKED")
    for r in records:
        print(
            f"{r.id:>4}  {r.name:<24} {r.scope:<16} {_when(r.created_at):<25} "
            f"{_when(r.last_used_at):<25} {_when(r.revoked_at)}"
        )
    return 0


def add_admin_commands(commands: Any) -> None:
    admin = commands.add_parser("admin", help="administration: API tokens")
    sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ADMIN_COMMAND")

    token = sub.add_parser("token", help="create, revoke or list API bearer tokens")
    tokens = token.add_subparsers(dest="token_command", required=True, metavar="TOKEN_COMMAND")

    create = tokens.add_parser("create", help="create a token and print it (shown only once)")
    create.add_argument("--name", required=True, help="what the token is for, e.g. 'curator app'")
    create.add_argument(
        "--scope", default=ADMIN_SCOPE, help='"admin" (default; everything) or "curator:<id>"'
    )
    create.set_defaults(handler=_guarded(cmd_token_create))

    revoke = tokens.add_parser("revoke", help="revoke a token by id (it stops working at once)")
    revoke.add_argument("id", type=int, help="token id, as printed by 'sanat admin token list'")
    revoke.set_defaults(handler=_guarded(cmd_token_revoke))

    listing = tokens.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.set_defaults(handler=_guarded(cmd_token_list))

    # Imported here: those modules use this one's helpers (_run, _guarded, _settings).
    from backend import curator_cli, staff_cli

    staff_cli.add_commands(sub)
    curator_cli.add_commands(sub)
