"""``sanat`` console script: run, bot, backend, migrate, rules, admin.

Each command imports what it runs inside its function: ``sanat --help`` or ``sanat admin …``
then starts without loading aiogram, aiohttp, Alembic and the rules data. No import here
breaks a cycle (tests/test_architecture.py checks that there is none).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from backend import __version__
from backend.logs import configure_logging, secrets_of
from backend.settings import Settings, SettingsError, load_settings

log = logging.getLogger("sanat")
NO_TOKEN_HINT = (
    "Bot not started: SANAT_BOT_TOKEN is not set. Put SANAT_BOT_TOKEN=<token from @BotFather> "
    "in .env (see .env.example) and run again; the backend and scheduler are running."
)


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log, secrets_of(settings))
    return settings


def cmd_migrate(args: argparse.Namespace) -> int:
    from backend.migrate import downgrade, upgrade

    settings = _settings()
    if args.downgrade:
        downgrade(settings.database.url, args.downgrade)
    else:
        upgrade(settings.database.url, args.revision)
    print(f"database at {'downgraded to ' + args.downgrade if args.downgrade else args.revision}")
    return 0


def cmd_backend(args: argparse.Namespace) -> int:
    from backend.migrate import upgrade
    from backend.runtime import serve_backend

    settings = _settings()
    if args.migrate:
        upgrade(settings.database.url)
    asyncio.run(serve_backend(settings))
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.runner import run_bot_until_signalled

    settings = _settings()
    if settings.bot.token is None:
        print(NO_TOKEN_HINT.split(";", maxsplit=1)[0] + ".", file=sys.stderr)
        return 2
    asyncio.run(run_bot_until_signalled(settings))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from backend.migrate import upgrade
    from sanat.run import run_all

    settings = _settings()
    if not args.no_migrate:
        upgrade(settings.database.url)
    if settings.bot.token is None:
        print(NO_TOKEN_HINT, file=sys.stderr)
    address = f"http://{settings.web.host}:{settings.web.port}"
    print(f"Sanat {__version__}: API on {address} (Ctrl-C stops)")
    asyncio.run(run_all(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanat", description="Sanat: bot and backend for teachers"
    )
    parser.add_argument("--version", action="version", version=f"sanat {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="migrate, then run the backend, scheduler and bot in one process"
    )
    run.add_argument("--no-migrate", action="store_true", help="skip migrating the database first")
    run.set_defaults(handler=cmd_run)

    bot = commands.add_parser("bot", help="run the Telegram bot only (long polling or webhook)")
    bot.set_defaults(handler=cmd_bot)

    backend = commands.add_parser("backend", help="run the HTTP API and the scheduler only")
    backend.add_argument("--migrate", action="store_true", help="migrate the database first")
    backend.set_defaults(handler=cmd_backend)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    migrate.add_argument("--downgrade", metavar="REV", help="downgrade to REV instead")
    migrate.set_defaults(handler=cmd_migrate)

    from backend.rules.cli import add_rules_commands

    add_rules_commands(commands)

    from backend.cli.admin import add_admin_commands

    add_admin_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
