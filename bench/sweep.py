"""The course reminder sweep over 1 000 000 teachers in PostgreSQL.

Goals (issue 14 item 7): a backlog sweep (every teacher due at once: a fresh import, or the
first sweeps after migration 0011) in < 5 s each, and a steady-state sweep (nothing due) in
< 50 ms. Creates a temporary database (dropped after), bulk-loads teachers with a course each
by COPY (the triggers mark every one of them "look now", as the migration's backfill does),
then times the backlog sweeps until nobody is due, the steady state (the median of
``--steady`` sweeps a minute apart) and the first sweep of the next evening, when the next
day's rungs fall due (20:00 Almaty: sent at 09:00).

Run: ``.venv/bin/python -m bench.sweep [--teachers 1000000] [--seed 1] [--steady 20]`` with
``SANAT_TEST_POSTGRES_URL`` (default postgresql+asyncpg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import time
import uuid
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.courses.quiet import next_send_moment
from backend.courses.service import sweep
from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.models import Notification, ReminderSchedule
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings
from testing.bulk import copy_course_records

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
        await copy_course_records(connection, course_rows)
        await connection.copy_records_to_table(
            "reminder_preference",
            records=preferences,
            columns=["user_id", "stopped", "snoozed_until", "updated_at"],
        )
        await connection.execute("SELECT setval('user_id_seq', $1)", teachers)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _due(pool: SessionPool, send_at: dt.datetime) -> int:
    """How many teachers the next sweep would look at (not timed)."""
    schedule = ReminderSchedule.__table__.c  # type: ignore[attr-defined]
    async with pool() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ReminderSchedule)
                .where(schedule.next_at <= send_at)
            )
            or 0
        )


async def run(url: str, teachers: int, seed: int, steady_sweeps: int) -> None:
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
            # The first sweeps look at every teacher, SWEEP_BATCH at a time, and enqueue what
            # is due; then every sweep (each minute) finds nobody due.
            send_at = next_send_moment(
                NOW, settings.tz, settings.delivery.quiet_start, settings.delivery.quiet_end
            )
            backlog: list[tuple[int, float]] = []
            while await _due(pool, send_at):
                started = time.perf_counter()
                inserted = await sweep(pool, settings, ruleset, NOW)
                backlog.append((inserted, time.perf_counter() - started))
            for number, (inserted, seconds) in enumerate(backlog, 1):
                print(
                    f"backlog sweep {number}: notifications inserted {inserted:,}, {seconds:.2f} s"
                )
            worst = max(seconds for _, seconds in backlog)
            print(
                f"backlog: {len(backlog)} sweeps, {sum(n for n, _ in backlog):,} notifications, "
                f"slowest sweep {worst:.2f} s (goal < 5 s)"
            )
            steady: list[float] = []
            for minute in range(steady_sweeps):
                started = time.perf_counter()
                inserted = await sweep(pool, settings, ruleset, NOW + dt.timedelta(minutes=minute))
                steady.append(time.perf_counter() - started)
                assert inserted == 0, inserted
            print(
                f"steady state: teachers {teachers:,}, {steady_sweeps} sweeps, median "
                f"{statistics.median(steady) * 1000:.1f} ms, max {max(steady) * 1000:.1f} ms "
                "(goal < 50 ms)"
            )
            evening = NOW.astimezone(settings.tz).replace(hour=20, minute=0).astimezone(dt.UTC)
            started = time.perf_counter()
            inserted = await sweep(pool, settings, ruleset, evening)
            print(
                f"next day's rungs (sweep at 20:00 Almaty): notifications inserted "
                f"{inserted:,}, {time.perf_counter() - started:.2f} s"
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
    parser.add_argument("--steady", type=int, default=20, help="steady-state sweeps to time")
    args = parser.parse_args()
    url = os.environ.get("SANAT_TEST_POSTGRES_URL", DEFAULT_URL)
    asyncio.run(run(url, args.teachers, args.seed, args.steady))


if __name__ == "__main__":
    main()
