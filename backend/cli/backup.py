"""``sanat admin backup PATH`` and ``sanat admin restore PATH`` of the configured database.

Exit status: 0 done; 1 refused (PATH exists, or the database holds people, without ``--force``)
or failed (SQLite, pg_dump or pg_restore reported an error); 2 nothing could start: PATH is not
usable or not a backup, or pg_dump/pg_restore is missing. How each database is handled:
``backend/backup.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from backend import backup as backups
from backend.cli.common import cli_settings, fail


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size} bytes"


def cmd_backup(args: argparse.Namespace) -> int:
    settings = cli_settings()
    url = settings.database.url
    try:
        done = asyncio.run(backups.backup(url, Path(args.path), force=args.force))
    except backups.BackupError as exc:
        return fail(exc, exc.code)
    print(
        f"backup of {backups.describe(url)} (revision {done.revision or 'none'}) written to "
        f"{done.path} ({_size(done.size)})"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from backend.migrate import revisions

    settings = cli_settings()
    url = settings.database.url
    try:
        done = asyncio.run(backups.restore(url, Path(args.path), force=args.force))
    except backups.BackupError as exc:
        return fail(exc, exc.code)
    print(f"{done.path} restored into {backups.describe(url)} (revision {done.revision})")
    head = revisions(url)[-1]
    if done.revision != head:
        print(
            f"the backup is at revision {done.revision}, this Sanat at {head}: "
            "run 'sanat migrate' before starting it",
            file=sys.stderr,
        )
    return 0


def add_commands(sub: Any) -> None:
    backup = sub.add_parser(
        "backup",
        help="back up the database to a file (SQLite online backup; PostgreSQL via pg_dump)",
        description="Write a backup of SANAT_DATABASE_URL to PATH while Sanat keeps running: "
        "a SQLite file, or a pg_dump archive (custom format) for PostgreSQL.",
    )
    backup.add_argument("path", metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    backup.set_defaults(handler=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="replace the database with a backup (stop Sanat first)",
        description="Replace SANAT_DATABASE_URL's whole content with the backup at PATH "
        "(SQLite: the backup API; PostgreSQL: pg_restore --clean --if-exists in one "
        "transaction). Stop every Sanat process first.",
    )
    restore.add_argument("path", metavar="PATH", help="a file written by 'sanat admin backup'")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds people"
    )
    restore.set_defaults(handler=cmd_restore)
