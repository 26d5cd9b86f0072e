"""``sanat admin token create | revoke | list``: API tokens on the configured database; the
parser of every ``sanat admin`` command (backup and restore, staff, curators, calendar, UMO)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend import api_tokens
from backend.cli import backup as backup_commands
from backend.cli import calendar as calendar_commands
from backend.cli import curator as curator_commands
from backend.cli import staff as staff_commands
from backend.cli import umo as umo_commands
from backend.cli.common import cli_settings, fail, guarded, run_with_pool, when
from backend.models.api_token import ADMIN_SCOPE


def cmd_token_create(args: argparse.Namespace) -> int:
    settings = cli_settings()
    pepper = api_tokens.pepper_of(settings)
    try:
        created = run_with_pool(
            settings,
            lambda pool: api_tokens.create_token(
                pool, name=args.name, pepper=pepper, scope=args.scope
            ),
        )
    except ValueError as exc:
        return fail(exc, 2)
    print(created.token)
    print(
        f"token {created.record.id} ({created.record.name!r}, scope {created.record.scope}) "
        "created; it is shown only this once",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    settings = cli_settings()
    try:
        record = run_with_pool(settings, lambda pool: api_tokens.revoke_token(pool, args.id))
    except api_tokens.ApiTokenNotFoundError:
        return fail(f"no API token with id {args.id}", 1)
    print(f"token {record.id} ({record.name!r}) revoked at {when(record.revoked_at)}")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    settings = cli_settings()
    records = run_with_pool(settings, api_tokens.list_tokens)
    print(f"{'ID':>4}  {'NAME':<24} {'SCOPE':<16} {'CREATED':<25} {'LAST USED':<25} REVOKED")
    for r in records:
        print(
            f"{r.id:>4}  {r.name:<24} {r.scope:<16} {when(r.created_at):<25} "
            f"{when(r.last_used_at):<25} {when(r.revoked_at)}"
        )
    return 0


def add_admin_commands(commands: Any) -> None:
    admin = commands.add_parser(
        "admin", help="administration: tokens, backups, curators, staff, calendar"
    )
    sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ADMIN_COMMAND")

    token = sub.add_parser("token", help="create, revoke or list API bearer tokens")
    tokens = token.add_subparsers(dest="token_command", required=True, metavar="TOKEN_COMMAND")

    create = tokens.add_parser("create", help="create a token and print it (shown only once)")
    create.add_argument("--name", required=True, help="what the token is for, e.g. 'curator app'")
    create.add_argument(
        "--scope", default=ADMIN_SCOPE, help='"admin" (default; everything) or "curator:<id>"'
    )
    create.set_defaults(handler=guarded(cmd_token_create))

    revoke = tokens.add_parser("revoke", help="revoke a token by id (it stops working at once)")
    revoke.add_argument("id", type=int, help="token id, as printed by 'sanat admin token list'")
    revoke.set_defaults(handler=guarded(cmd_token_revoke))

    listing = tokens.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.set_defaults(handler=guarded(cmd_token_list))

    backup_commands.add_commands(sub)
    staff_commands.add_commands(sub)
    curator_commands.add_commands(sub)
    calendar_commands.add_commands(sub)
    umo_commands.add_commands(sub)
