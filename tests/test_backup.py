"""``sanat admin backup | restore PATH``: a round trip on SQLite and PostgreSQL, the refusals, the
bad paths, and a clear message without pg_dump/pg_restore -- never the database password."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from backend.broadcasts import service as broadcasts
from backend.broadcasts.service import Audience
from backend.db import create_engine, create_session_pool, sqlite_path
from backend.models import Broadcast, BroadcastRecipient, CourseRecord, Notification, User
from backend.settings import DatabaseSettings
from testing.databases import POSTGRES_ENV, fresh_postgres_database, service_url, sqlite_url
from tests.broadcasts.helpers import TEXT, admin
from tests.courses.helpers import add_course, new_teacher
from tests.sanat_cli import SanatCli

PASSWORD = "Pa55-never-shown-7f3c"  # PostgreSQL here trusts local users: a password is ignored
NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


async def _seed(url: str) -> None:
    """A teacher with a course, and a curator's broadcast (started: it has outbox rows)."""
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    try:
        teacher = await new_teacher(pool, telegram_id=7001)
        async with pool() as session:
            await session.exec(update(User).where(col(User.id) == teacher).values(full_name="Ә"))
            await session.commit()
        await add_course(pool, teacher, dt.date(2024, 5, 20), title="Цифрлық сауаттылық")
        curator = await admin(pool)
        async with pool() as session:
            draft = await broadcasts.create_draft(
                session=session, actor_id=curator, content=TEXT, topic="news", audience=Audience()
            )
            assert draft.id is not None
            await broadcasts.start(
                session=session, actor_id=curator, broadcast_id=draft.id, now=NOW
            )
    finally:
        await engine.dispose()


async def _change(url: str) -> None:
    """What a restore must undo: a deleted course and broadcast, a renamed and a new person."""
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_session_pool(engine)() as session:
            await session.exec(delete(CourseRecord))
            await session.exec(delete(Notification))
            await session.exec(delete(BroadcastRecipient))
            await session.exec(delete(Broadcast))
            await session.exec(update(User).values(full_name="changed"))
            session.add(User(telegram_id=9999, full_name="new", language="ru"))
            await session.commit()
    finally:
        await engine.dispose()


async def _snapshot(url: str) -> dict[str, Any]:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_session_pool(engine)() as session:
            users = await session.exec(
                select(User.telegram_id, User.full_name).order_by(col(User.telegram_id))
            )
            courses = await session.exec(
                select(
                    col(User.telegram_id), col(CourseRecord.title), col(CourseRecord.completed_on)
                )
                .join(User, col(User.id) == col(CourseRecord.user_id))
                .order_by(col(CourseRecord.id))
            )
            casts = await session.exec(
                select(Broadcast.status, Broadcast.topic, Broadcast.content, Broadcast.started_at)
            )
            outbox = (await session.exec(select(func.count()).select_from(Notification))).one()
            return {
                "users": list(users.all()),
                "courses": list(courses.all()),
                "broadcasts": list(casts.all()),
                "outbox rows": outbox,
            }
    finally:
        await engine.dispose()


def _with_password(url: str) -> str:
    if url.startswith("sqlite"):
        return url
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_round_trip(sanat_cli: SanatCli, database_url: str, tmp_path: Path) -> None:
    url = _with_password(database_url)
    sanat_cli.env["SANAT_DATABASE_URL"] = url
    asyncio.run(_seed(url))
    original = asyncio.run(_snapshot(url))
    assert original["users"][0] == (7001, "Ә")
    assert original["courses"] == [(7001, "Цифрлық сауаттылық", dt.date(2024, 5, 20))]
    assert [b[:2] for b in original["broadcasts"]] == [("running", "news")]
    path = tmp_path / "backups" / "sanat.backup"
    path.parent.mkdir()

    made = sanat_cli("admin", "backup", str(path))
    assert made.returncode == 0, made.stderr
    assert f"written to {path}" in made.stdout
    assert "(revision 0" in made.stdout
    assert path.stat().st_size > 0
    assert [p.name for p in path.parent.iterdir()] == ["sanat.backup"]  # no partial file left

    asyncio.run(_change(url))
    changed = asyncio.run(_snapshot(url))
    assert changed["courses"] == []
    assert changed["broadcasts"] == []

    refused = sanat_cli("admin", "restore", str(path))
    assert refused.returncode == 1
    assert "holds people; pass --force" in refused.stderr
    assert asyncio.run(_snapshot(url)) == changed

    restored = sanat_cli("admin", "restore", str(path), "--force")
    assert restored.returncode == 0, restored.stderr
    assert "restored into" in restored.stdout
    assert asyncio.run(_snapshot(url)) == original

    again = sanat_cli("admin", "backup", str(path))
    assert again.returncode == 1
    assert "already exists; pass --force" in again.stderr
    for result in (made, refused, restored, again):
        assert PASSWORD not in result.stdout + result.stderr


@contextlib.contextmanager
def _empty_database(like: str, folder: Path) -> Iterator[str]:
    """A database with nothing in it, of ``like``'s kind: a new server or a lost file."""
    if like.startswith("sqlite"):
        yield sqlite_url(folder / "new" / "sanat.db")
    else:
        with fresh_postgres_database(service_url(POSTGRES_ENV)) as url:
            yield url


def test_restore_into_an_empty_database(
    sanat_cli: SanatCli, database_url: str, tmp_path: Path
) -> None:
    """A new server or a lost file: restore needs no --force where nobody is."""
    asyncio.run(_seed(database_url))
    original = asyncio.run(_snapshot(database_url))
    path = tmp_path / "sanat.backup"
    made = sanat_cli("admin", "backup", str(path), env={"SANAT_DATABASE_URL": database_url})
    assert made.returncode == 0, made.stderr
    with _empty_database(database_url, tmp_path) as empty:
        restored = sanat_cli("admin", "restore", str(path), env={"SANAT_DATABASE_URL": empty})
        assert restored.returncode == 0, restored.stderr
        assert "sanat migrate" not in restored.stderr  # the backup is at head
        assert asyncio.run(_snapshot(empty)) == original


def test_sqlite_backup_runs_beside_an_open_write(sanat_cli: SanatCli, tmp_path: Path) -> None:
    """Online: a writer in the middle of a transaction neither blocks the backup nor leaks
    its uncommitted row into it."""
    assert sanat_cli("migrate").returncode == 0
    writer = sqlite3.connect(sanat_cli.database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO user (telegram_id, language, created_at, updated_at)"
            " VALUES (1, 'kk', '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
        )
        made = sanat_cli("admin", "backup", str(tmp_path / "online.db"))
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(tmp_path / "online.db") as copy:
        assert copy.execute("SELECT count(*) FROM user").fetchone() == (0,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()


def test_bad_paths(sanat_cli: SanatCli, tmp_path: Path) -> None:
    nothing = sanat_cli("admin", "backup", str(tmp_path / "b.db"))
    assert nothing.returncode == 2
    assert "no database to back up" in nothing.stderr

    assert sanat_cli("migrate").returncode == 0
    no_folder = sanat_cli("admin", "backup", str(tmp_path / "missing" / "b.db"))
    assert no_folder.returncode == 2
    assert f"the folder {tmp_path / 'missing'} does not exist" in no_folder.stderr

    folder = sanat_cli("admin", "backup", str(tmp_path))
    assert folder.returncode == 2
    assert "is a folder" in folder.stderr

    no_backup = sanat_cli("admin", "restore", str(tmp_path / "nope.db"))
    assert no_backup.returncode == 2
    assert f"no backup at {tmp_path / 'nope.db'}" in no_backup.stderr

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    not_sqlite = sanat_cli("admin", "restore", str(garbage))
    assert not_sqlite.returncode == 2
    assert "is not a SQLite backup" in not_sqlite.stderr

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    other.close()
    not_sanat = sanat_cli("admin", "restore", str(foreign))
    assert not_sanat.returncode == 2
    assert "is not a Sanat backup" in not_sanat.stderr

    pg_url = "postgresql+asyncpg://sanat@127.0.0.1:1/sanat"
    sqlite_into_pg = sanat_cli(
        "admin", "restore", str(garbage), env={"SANAT_DATABASE_URL": pg_url}
    )
    assert sqlite_into_pg.returncode == 2
    assert "is not a pg_dump archive" in sqlite_into_pg.stderr
    database = sqlite_path(sanat_cli.env["SANAT_DATABASE_URL"])
    assert database is not None
    with sqlite3.connect(database) as db:  # none of that touched the database
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    db.close()


@pytest.mark.parametrize(("command", "tool"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_missing_postgresql_tools(
    sanat_cli: SanatCli, tmp_path: Path, command: str, tool: str
) -> None:
    bare = tmp_path / "bin"  # a PATH without the PostgreSQL client tools
    bare.mkdir()
    sanat_cli.env["SANAT_DATABASE_URL"] = f"postgresql+asyncpg://sanat:{PASSWORD}@db:5432/sanat"
    sanat_cli.env["PATH"] = str(bare)
    path = tmp_path / "sanat.dump"
    if command == "restore":
        path.write_bytes(b"PGDMP")
    result = sanat_cli("admin", command, str(path))
    assert result.returncode == 2
    assert f"{tool} was not found on PATH" in result.stderr
    assert "postgresql-client" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    if command == "backup":
        assert not path.exists()
        script = sanat_cli.subprocess("admin", command, str(path))  # the installed script
        assert script.returncode == 2
        assert f"{tool} was not found on PATH" in script.stderr


def _fake_tool(folder: Path, name: str, script: str) -> Path:
    """A stand-in for a PostgreSQL client tool on a PATH of its own."""
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)
    return folder


def test_unreachable_server_message_hides_the_password(
    sanat_cli: SanatCli, tmp_path: Path
) -> None:
    sanat_cli.env["PATH"] = str(_fake_tool(tmp_path / "bin", "pg_dump", "exit 0\n"))
    sanat_cli.env["SANAT_DATABASE_URL"] = (
        f"postgresql+asyncpg://sanat:{PASSWORD}@127.0.0.1:1/sanat"  # nothing listens on port 1
    )
    result = sanat_cli("admin", "backup", str(tmp_path / "sanat.dump"))
    assert result.returncode == 1
    assert "cannot reach the PostgreSQL database sanat on 127.0.0.1" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "sanat.dump").exists()


@pytest.mark.postgres
def test_pg_dump_gets_the_password_in_its_environment_only(
    sanat_cli: SanatCli, tmp_path: Path
) -> None:
    """Not on its command line (``ps`` shows that to everyone), and not in the message when the
    tool repeats it."""
    record = tmp_path / "argv.txt"
    bin_folder = _fake_tool(
        tmp_path / "bin",
        "pg_dump",
        f'echo "$@" > {record}\n'
        'echo "$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE" >&2\nexit 1\n',
    )
    with fresh_postgres_database(service_url(POSTGRES_ENV)) as url:
        parsed = make_url(url)
        sanat_cli.env["SANAT_DATABASE_URL"] = _with_password(url)
        sanat_cli.env["PATH"] = str(bin_folder)
        result = sanat_cli("admin", "backup", str(tmp_path / "sanat.dump"))
    assert result.returncode == 1
    assert "pg_dump failed (exit status 1)" in result.stderr
    expected = f"{parsed.username}:***@{parsed.host}:{parsed.port}/{parsed.database}"
    assert expected in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    argv = record.read_text()
    assert "--format=custom" in argv
    assert PASSWORD not in argv
