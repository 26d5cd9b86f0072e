"""``sanat admin umo list | secretary grant|revoke <telegram id>``: the UMO directory of Order 400
and who gets the UMO secretary's yearly reminders."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.cli.common import cli_settings, fail, guarded, run_in_session
from backend.umo import secretaries
from backend.umo.directory import load_directory


def cmd_list(args: argparse.Namespace) -> int:
    directory = load_directory()
    print(
        f"Order {directory.act.number} of {directory.act.date.isoformat()} ({directory.act.file})"
    )
    for umo in directory.umos:
        if args.direction and umo.direction != args.direction:
            continue
        scope = f" ({umo.scope})" if umo.scope else ""
        doubt = "  [doubtful]" if umo.doubtful else ""
        print(f"{umo.direction:<13} {umo.name} -> {umo.base}{scope}  line {umo.line}{doubt}")
    return 0


def cmd_secretary(args: argparse.Namespace) -> int:
    settings = cli_settings()

    def work(session: AsyncSession) -> Awaitable[bool]:
        return secretaries.set_secretary(
            session=session, telegram_id=args.telegram_id, secretary=args.action == "grant"
        )

    if not run_in_session(settings, work):
        return fail(
            f"no user with Telegram id {args.telegram_id}: they must open the bot first", 1
        )
    print(f"UMO secretary role {'granted' if args.action == 'grant' else 'revoked'}")
    return 0


def add_commands(sub: Any) -> None:
    umo = sub.add_parser("umo", help="UMO directory (Order 400) and UMO secretaries")
    commands = umo.add_subparsers(dest="umo_command", required=True, metavar="UMO_COMMAND")
    listing = commands.add_parser("list", help="training direction -> UMO base university")
    listing.add_argument("--direction", default=None, help="one direction code, e.g. 011")
    listing.set_defaults(handler=cmd_list)
    secretary = commands.add_parser("secretary", help="grant or revoke the UMO secretary role")
    secretary.add_argument("action", choices=("grant", "revoke"))
    secretary.add_argument("telegram_id", type=int)
    secretary.set_defaults(handler=guarded(cmd_secretary))
