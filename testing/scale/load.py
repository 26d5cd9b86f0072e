"""The scale run's data: teachers whose course reminders fall due at once (bulk COPY), the
broadcast's recipients, an admin to send it as, an API token; and what the database says after.

Telegram ids tell the kinds of chat apart in the Bot API server's call log: reminder teachers
from ``REMINDER_BASE``, broadcast recipients from ``BROADCAST.first_telegram_id``, dialog
teachers from ``DIALOG_BASE``; the admin is ``ADMIN_TELEGRAM_ID``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import asyncpg
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select

from backend import api_tokens
from backend.courses.messages import COURSE_KIND
from backend.db import SessionPool
from backend.models import Notification, User, UserRole
from testing.broadcast_setup import BroadcastSetup
from testing.bulk import copy_course_records
from testing.telegram import LocalBotAPI

REMINDER_BASE = 5_000_000
DIALOG_BASE = 7_000_000
ADMIN_TELEGRAM_ID = 1
BROADCAST = BroadcastSetup(
    first_telegram_id=3_000_000,
    languages=("kk", "ru"),
    region="astana",
    texts={"kk": "Сәлеметсіз бе, {name}! Жаңалықтар", "ru": "Здравствуйте, {name}! Новости"},
)
PERIOD_DAYS = 3 * 365  # the refresher period (ruleset: 3 years), give or take a leap day
DUE_SPREAD = range(-20, 170)  # days until the due date: every teacher has a milestone reached
OUTSTANDING = ("pending", "sending")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def add_reminder_teachers(url: str, api: LocalBotAPI, count: int, today: dt.date) -> None:
    """``count`` teachers with one course each, completed so that a reminder milestone (180,
    90, 30, 7 days before, or due) is reached today: one reminder each, all due at once.
    Loaded by COPY; every teacher is known to the Bot API server.
    """
    now = dt.datetime.now(dt.UTC)
    connection = await asyncpg.connect(_dsn(url))
    try:
        first = int(await connection.fetchval('SELECT coalesce(max(id), 0) FROM "user"')) + 1
        ids = range(first, first + count)
        users = [
            (user_id, REMINDER_BASE + n, ("kk", "ru")[n % 2], now, now)
            for n, user_id in enumerate(ids)
        ]
        spread = list(DUE_SPREAD)
        courses = [
            (
                user_id,
                today - dt.timedelta(days=PERIOD_DAYS - spread[n % len(spread)]),
                "Біліктілікті арттыру курсы",
                "orleu",
                72,
                now,
                now,
            )
            for n, user_id in enumerate(ids)
        ]
        await connection.copy_records_to_table(
            "user",
            records=users,
            columns=["id", "telegram_id", "language", "created_at", "updated_at"],
        )
        await copy_course_records(connection, courses)
        await connection.execute("SELECT setval('user_id_seq', $1)", first + count)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    for n in range(count):
        api.user(REMINDER_BASE + n, f"Мұғалім {n}")


async def add_admin(pool: SessionPool, api: LocalBotAPI) -> int:
    """The admin who sends the broadcast (gets its final report); their user id."""
    async with pool() as session:
        admin = User(telegram_id=ADMIN_TELEGRAM_ID, full_name="Admin", language="ru")
        session.add(admin)
        await session.flush()
        assert admin.id is not None
        session.add(UserRole(user_id=admin.id, role="admin"))
        await session.commit()
        admin_id = admin.id
    api.user(ADMIN_TELEGRAM_ID, "Admin")
    return admin_id


async def create_api_token(pool: SessionPool, pepper: str) -> str:
    created = await api_tokens.create_token(pool, name="scale run", pepper=pepper)
    return created.token


async def outstanding(pool: SessionPool) -> int:
    async with pool() as session:
        query = select(func.count()).where(col(Notification.status).in_(OUTSTANDING))
        return int((await session.exec(query)).one())


async def outbox_by_kind(pool: SessionPool) -> dict[str, Counter[str]]:
    """Outbox rows per kind and status."""
    async with pool() as session:
        rows = (
            await session.exec(
                select(Notification.kind, Notification.status, func.count()).group_by(
                    col(Notification.kind), col(Notification.status)
                )
            )
        ).all()
    found: dict[str, Counter[str]] = {}
    for kind, status, count in rows:
        found.setdefault(kind, Counter())[status] += count
    return found


async def course_reminders_per_teacher(pool: SessionPool) -> Counter[int]:
    """How many course reminder rows each teacher has (by user id)."""
    async with pool() as session:
        rows = (
            await session.exec(
                select(Notification.user_id, func.count())
                .where(Notification.kind == COURSE_KIND)
                .group_by(col(Notification.user_id))
            )
        ).all()
    return Counter({user_id: count for user_id, count in rows if user_id is not None})
