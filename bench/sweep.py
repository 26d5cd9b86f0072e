"""The course reminder sweep over 1 000 000 teachers in PostgreSQL.

Goal (refresher-course issue): one sweep in < 5 s. Creates a temporary database (dropped after),
bulk-loads teachers with a course each by COPY, then times a first sweep (enqueues every due
reminder) and a second one (the steady state: everything already enqueued).

Run: ``.venv/bin/python -m bench.sweep [--teachers 1000000] [--seed 1]`` with
``SANAT_TEST_POSTGRES_URL`` (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import time
import uuid
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.courses.service import sweep
from backend.db import create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.models import Notification
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Almaty")).astimezone(dt.UTC)
SPAN_DAYS = 4 * 365  # latest completions spread over four years: some due soon, some overdue


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _load(dsn: str, teachers: int, seed: int) -> None:
    """COPY users, their courses and a few reminder preferences (stopped, snoozed)."""
    rng = random.Random(seed)
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    today = NOW.date()
    users = []
    course_rows = []
    preferences: list[tuple[int, bool, dt.datetime | None, dt.datetime]] = []
    for user_id in range(1, teachers + 1):
        unreachable = created if rng.random() < 0.01 else None
        users.append((user_id, 10_000_000 + user_id, "kk", unreachable, created, created))
        last = today - dt.timedelta(days=rng.randrange(SPAN_DAYS))
        course_rows.append(
            (user_id, last, "Біліктілікті арттыру курсы", "orleu", 72, created, created)
        )
        draw = rng.random()
        if draw < 0.02:
            preferences.append((user_id, True, None, created))
        elif draw < 0.04:
            preferences.append((user_id, False, NOW + dt.timedelta(days=3), created))
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "user",
            records=users,
            columns=[
                "id",
                "telegram_id",
                "language",
                "unreachable_at",
                "created_at",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "course_record",
            records=course_rows,
            columns=[
                "user_id",
                "completed_on",
                "title",
                "provider",
                "hours",
                "created_at",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "reminder_preference",
            records=preferences,
            columns=["user_id", "stopped", "snoozed_until", "updated_at"],
        )
        await connection.execute("SELECT setval('user_id_seq', $1)", teachers)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def run(url: str, teachers: int, seed: int) -> None:
    name = f"sanat_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    database_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(database_url)
        started = time.perf_counter()
        await _load(_dsn(url, name), teachers, seed)
        print(f"loaded {teachers:,} teachers in {time.perf_counter() - started:.1f} s")
        settings = Settings(_env_file=None, database=DatabaseSettings(url=database_url))
        engine = create_engine(settings.database)
        pool = create_session_pool(engine)
        ruleset = default_ruleset()
        try:
            # The first sweeps over a fresh import enqueue the backlog, SWEEP_BATCH at a time;
            # then every sweep (each minute) finds everything enqueued already.
            sweeps: list[tuple[int, float]] = []
            while not sweeps or sweeps[-1][0]:
                started = time.perf_counter()
                inserted = await sweep(pool, settings, ruleset, NOW)
                sweeps.append((inserted, time.perf_counter() - started))
            for number, (inserted, seconds) in enumerate(sweeps, 1):
                label = "steady state" if not inserted else "backlog"
                print(
                    f"sweep {number} ({label}): teachers {teachers:,}, "
                    f"notifications inserted {inserted:,}, {seconds:.2f} s (goal < 5 s)"
                )
            async with pool() as session:
                total = await session.scalar(select(func.count()).select_from(Notification))
            print(f"outbox rows: {total:,}")
        finally:
            await engine.dispose()
    finally:
        admin = await asyncpg.connect(_dsn(url))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = os.environ.get("SANAT_TEST_POSTGRES_URL", DEFAULT_URL)
    asyncio.run(run(url, args.teachers, args.seed))


if __name__ == "__main__":
    main()
