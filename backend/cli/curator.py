"""``sanat admin curator grant | revoke | list``: who may broadcast, and to whom.

People are named by their Telegram id (what an admin can see in Telegram); they must have opened
the bot once so that there is a user to give the role to.
"""

from __future__ import annotations

import argparse
from typing import Any

from backend import curators
from backend.cli.common import cli_settings, fail, guarded, run_in_session, run_with_pool
from backend.db import SessionPool


class _NoSuchUserError(LookupError):
    pass


def _describe(scope: curators.Scope) -> str:
    if scope.kind == "region":
        return "regions " + ",".join(scope.regions)
    if scope.kind == "orgs":
        return "organisations " + (",".join(str(i) for i in scope.organisation_ids) or "-")
    return "everyone"


def _scope_from(args: argparse.Namespace) -> curators.Scope:
    if args.region and args.org:
        raise curators.ScopeError("give regions or organisations, not both")
    if args.region:
        return curators.Scope(kind="region", regions=tuple(args.region))
    if args.org:
        return curators.Scope(kind="orgs", organisation_ids=tuple(args.org))
    return curators.Scope()


async def _user_id(pool: SessionPool, telegram_id: int) -> int:
    async with pool() as session:
        user_id = await curators.user_id_by_telegram_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        raise _NoSuchUserError(
            f"no user with Telegram id {telegram_id}: they must open the bot first"
        )
    return user_id


def cmd_grant(args: argparse.Namespace) -> int:
    settings = cli_settings()
    try:
        scope = _scope_from(args)
    except curators.ScopeError as exc:
        return fail(exc, 2)

    async def work(pool: SessionPool) -> curators.CuratorEntry:
        user_id = await _user_id(pool, args.telegram_id)
        async with pool() as session:
            return await curators.grant_curator(session=session, user_id=user_id, scope=scope)

    try:
        entry = run_with_pool(settings, work)
    except _NoSuchUserError as exc:
        return fail(exc, 1)
    except curators.ScopeError as exc:
        return fail(exc, 2)
    reach = _describe(entry.scope)
    print(f"user {entry.user.id} (Telegram {args.telegram_id}) is a curator for {reach}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    settings = cli_settings()

    async def work(pool: SessionPool) -> bool:
        user_id = await _user_id(pool, args.telegram_id)
        async with pool() as session:
            return await curators.revoke_curator(session=session, user_id=user_id)

    try:
        revoked = run_with_pool(settings, work)
    except _NoSuchUserError as exc:
        return fail(exc, 1)
    if not revoked:
        return fail(f"Telegram {args.telegram_id} is not a curator", 1)
    print(f"Telegram {args.telegram_id} is no longer a curator")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    entries = run_in_session(
        cli_settings(), lambda session: curators.list_curators(session=session)
    )
    print(f"{'ID':>5}  {'TELEGRAM':>12}  {'NAME':<28} SCOPE")
    for entry in entries:
        name = entry.user.full_name or entry.user.username or "-"
        reach = _describe(entry.scope)
        print(f"{entry.user.id:>5}  {entry.user.telegram_id:>12}  {name:<28} {reach}")
    return 0


def add_commands(admin_subcommands: Any) -> None:
    """Add this module's subcommands to `sanat admin`."""
    curator = admin_subcommands.add_parser(
        "curator", help="grant, revoke or list curators (who may send broadcasts)"
    )
    sub = curator.add_subparsers(dest="curator_command", required=True, metavar="CURATOR_COMMAND")

    grant = sub.add_parser(
        "grant", help="make someone a curator; no --region/--org: they reach everyone"
    )
    grant.add_argument("telegram_id", type=int, help="the person's Telegram user id")
    grant.add_argument(
        "--region", action="append", metavar="CODE", help="a region code they reach (repeatable)"
    )
    grant.add_argument(
        "--org", action="append", type=int, metavar="ID", help="an organisation id (repeatable)"
    )
    grant.set_defaults(handler=guarded(cmd_grant))

    revoke = sub.add_parser("revoke", help="take the curator role away")
    revoke.add_argument("telegram_id", type=int, help="the person's Telegram user id")
    revoke.set_defaults(handler=guarded(cmd_revoke))

    listing = sub.add_parser("list", help="list curators and their scopes")
    listing.set_defaults(handler=guarded(cmd_list))
