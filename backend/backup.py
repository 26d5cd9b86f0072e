"""Back up and restore the configured database (``sanat admin backup | restore PATH``).

SQLite: sqlite3's online backup API copies a consistent snapshot while Sanat keeps running (in
WAL mode a reader never blocks the writers) into a temporary file beside PATH, which is renamed
to PATH once complete and checked: a backup is never half-written under its final name. Restore
goes the other way through the same API, in one transaction under the database's own lock, so
the live file, its write-ahead log and any open connection stay consistent (copying a file over
a WAL database can corrupt it). The sqlite3 calls block, so they run in a thread.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists
--single-transaction`` (the PostgreSQL client tools, of the server's major version or newer).
They get the connection as libpq environment variables: the password is never on a command line
(``ps`` shows those), in a message or in a log line.

Both refuse to destroy data unless forced: backup will not overwrite an existing file, and
restore will not replace a database that holds people (its ``user`` table is not empty). A
restore replaces the whole database: stop the Sanat processes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend.db import create_engine, sqlite_path
from backend.settings import DatabaseSettings

log = logging.getLogger(__name__)

Kind = Literal["sqlite", "postgresql"]
TOOLS_HINT = (
    "install the PostgreSQL client tools of the server's major version or newer "
    "(Debian/Ubuntu: apt-get install postgresql-client) or put them on PATH"
)
TOOL_TIMEOUT_SECONDS = 6 * 3600.0


class BackupError(Exception):
    """Backup or restore did not happen; ``code`` is the command's exit status."""

    code = 1


class BadPathError(BackupError):
    """PATH cannot be written (backup) or is not a backup (restore)."""

    code = 2


class ToolMissingError(BackupError):
    """pg_dump or pg_restore is not on PATH."""

    code = 2


class RefusedError(BackupError):
    """It would destroy data and was not forced."""


class ToolFailedError(BackupError):
    """pg_dump, pg_restore or SQLite reported an error."""


@dataclass(frozen=True)
class Done:
    kind: Kind
    path: Path
    size: int  # bytes of the backup file
    revision: str | None  # the Alembic revision the backup holds


def kind_of(url: str) -> Kind:
    return "sqlite" if DatabaseSettings(url=url).is_sqlite else "postgresql"


def describe(url: str) -> str:
    """The database in words for a message: never the password."""
    parsed = make_url(url)
    if kind_of(url) == "sqlite":
        return f"the SQLite database {sqlite_path(url) or ':memory:'}"
    where = parsed.host or parsed.query.get("host") or "the local socket"
    return f"the PostgreSQL database {parsed.database} on {where}"


async def backup(url: str, path: Path, *, force: bool = False) -> Done:
    """Write a backup of the database at ``url`` to ``path``."""
    await asyncio.to_thread(_writable_target, path, force)
    if kind_of(url) == "sqlite":
        revision = await asyncio.to_thread(_sqlite_backup, _sqlite_file(url), path)
    else:
        revision = await _pg_backup(url, path)
    done = Done(kind_of(url), path, await _size(path), revision)
    log.info("backup written", extra={"kind": done.kind, "bytes": done.size})
    return done


async def restore(url: str, path: Path, *, force: bool = False) -> Done:
    """Replace the database at ``url`` with the backup at ``path``."""
    await asyncio.to_thread(_readable_backup, path)
    if kind_of(url) == "sqlite":
        revision = await asyncio.to_thread(_sqlite_restore, path, _sqlite_file(url), force)
    else:
        revision = await _pg_restore(url, path, force=force)
    done = Done(kind_of(url), path, await _size(path), revision)
    log.info("backup restored", extra={"kind": done.kind, "bytes": done.size})
    return done


# --- paths ----------------------------------------------------------------------------------


def _writable_target(path: Path, force: bool) -> None:
    if path.is_dir():
        raise BadPathError(
            f"{path} is a folder: give the backup file's name, e.g. {path}/sanat.db"
        )
    if not path.parent.is_dir():
        raise BadPathError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.exists() and not force:
        raise RefusedError(f"{path} already exists; pass --force to overwrite it")


def _readable_backup(path: Path) -> None:
    if not path.is_file():
        raise BadPathError(f"no backup at {path}" + (" (it is a folder)" if path.is_dir() else ""))


async def _size(path: Path) -> int:
    return (await asyncio.to_thread(path.stat)).st_size


@contextlib.contextmanager
def _partial_file(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, removed unless the caller renamed it into place."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        yield partial
    except PermissionError as exc:
        raise BadPathError(f"cannot write in {path.parent}: permission denied") from exc
    finally:
        partial.unlink(missing_ok=True)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BadPathError("an in-memory SQLite database has nothing to back up or restore")
    return path


def _revision(connection: sqlite3.Connection) -> str | None:
    if not _sqlite_has_table(connection, "alembic_version"):
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _sqlite_has_table(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _sqlite_backup(source: Path, path: Path) -> str | None:
    if not source.is_file():
        raise BadPathError(f"there is no database to back up: {source} does not exist")
    with _partial_file(path) as partial:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                _check(dst, f"the backup of {source}")
                revision = _revision(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise ToolFailedError(f"SQLite could not back up {source}: {exc}") from exc
        finally:
            src.close()
        os.replace(partial, path)
    return revision


def _check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise ToolFailedError(f"{what} failed SQLite's integrity check: {result}")


def _sqlite_restore(path: Path, target: Path, force: bool) -> str | None:
    try:
        src = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise BadPathError(f"cannot open {path}: {exc}") from exc
    try:
        try:
            _check(src, str(path))
            revision = _revision(src)
        except (sqlite3.DatabaseError, ToolFailedError) as exc:
            raise BadPathError(f"{path} is not a SQLite backup ({exc})") from exc
        if revision is None:
            raise BadPathError(f"{path} is not a Sanat backup: it has no alembic_version")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            if not force and _sqlite_holds_people(dst):
                raise RefusedError(
                    f"{target} holds people; pass --force to replace it with the backup "
                    "(stop Sanat first)"
                )
            src.backup(dst)  # under the target's lock, in one transaction
            _check(dst, f"{target} after the restore")
        except sqlite3.DatabaseError as exc:
            raise ToolFailedError(f"SQLite could not restore into {target}: {exc}") from exc
        finally:
            dst.close()
    finally:
        src.close()
    return revision


def _sqlite_holds_people(connection: sqlite3.Connection) -> bool:
    if not _sqlite_has_table(connection, "user"):
        return False
    return connection.execute('SELECT 1 FROM "user" LIMIT 1').fetchone() is not None


# --- PostgreSQL -----------------------------------------------------------------------------


def libpq_environment(url: str) -> dict[str, str]:
    """The connection of a ``postgresql+asyncpg://`` URL as libpq's PG* variables."""
    parsed = make_url(url)
    query = {key: str(value) for key, value in parsed.query.items()}
    values = {
        "PGHOST": parsed.host or query.get("host"),
        "PGPORT": str(parsed.port) if parsed.port else query.get("port"),
        "PGUSER": parsed.username or query.get("user"),
        "PGPASSWORD": parsed.password if parsed.password is not None else query.get("password"),
        "PGDATABASE": parsed.database or query.get("database"),
        "PGSSLMODE": _sslmode(query.get("sslmode") or query.get("ssl")),
    }
    return {key: str(value) for key, value in values.items() if value}


def _sslmode(value: str | None) -> str | None:
    if value is None:
        return None
    return {"true": "require", "false": "disable"}.get(value.lower(), value)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(f"{name} was not found on PATH: {TOOLS_HINT}")
    return found


def _masked(message: str, url: str) -> str:
    password = make_url(url).password
    return message.replace(str(password), "***") if password else message


async def _run(url: str, argv: list[str]) -> str:
    """Run a PostgreSQL client tool; its stderr (password masked) if it succeeded."""
    environment = os.environ | libpq_environment(url)
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), TOOL_TIMEOUT_SECONDS)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    said = _masked(stderr.decode(errors="replace").strip(), url)
    if process.returncode != 0:
        tool = Path(argv[0]).name
        raise ToolFailedError(f"{tool} failed (exit status {process.returncode}): {said}")
    return said


async def _pg_read(url: str, table: str, sql: str) -> object:
    """``sql``'s one value, or None when ``table`` does not exist (an empty database)."""
    engine = create_engine(DatabaseSettings(url=url, pool_size=1))
    try:
        async with engine.connect() as connection:
            exists = (
                await connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table})
            ).scalar()
            return (await connection.execute(text(sql))).scalar() if exists else None
    except OSError as exc:  # refused, unreachable: no SQLAlchemy wrapping for these
        raise ToolFailedError(_masked(f"cannot reach {describe(url)}: {exc}", url)) from exc
    except Exception as exc:
        raise ToolFailedError(
            _masked(f"cannot read {describe(url)}: {type(exc).__name__}: {exc}", url)
        ) from exc
    finally:
        await engine.dispose()


async def _pg_revision(url: str) -> str | None:
    revision = await _pg_read(
        url, "public.alembic_version", "SELECT version_num FROM public.alembic_version"
    )
    return None if revision is None else str(revision)


async def _pg_holds_people(url: str) -> bool:
    return bool(await _pg_read(url, 'public."user"', 'SELECT count(*) > 0 FROM public."user"'))


async def _pg_backup(url: str, path: Path) -> str | None:
    pg_dump = _tool("pg_dump")
    revision = await _pg_revision(url)
    with _partial_file(path) as partial:
        await _run(url, [pg_dump, "--format=custom", "--no-password", f"--file={partial}"])
        os.replace(partial, path)
    return revision


async def _pg_restore(url: str, path: Path, *, force: bool) -> str | None:
    pg_restore = _tool("pg_restore")
    try:
        await _run(url, [pg_restore, "--list", str(path)])
    except ToolFailedError as exc:
        raise BadPathError(f"{path} is not a pg_dump archive (custom format): {exc}") from exc
    if not force and await _pg_holds_people(url):
        raise RefusedError(
            f"{describe(url)} holds people; pass --force to replace it with the backup "
            "(stop Sanat first)"
        )
    database = make_url(url).database or ""
    await _run(
        url,
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={_dbname_argument(database)}",
            str(path),
        ],
    )
    return await _pg_revision(url)


def _dbname_argument(database: str) -> str:
    """``--dbname`` that libpq takes as a name, not as a connection string (which could carry
    the password): the other parameters come from the environment."""
    return "dbname=" + "'" + database.replace("\\", "\\\\").replace("'", "\\'") + "'"
