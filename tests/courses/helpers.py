"""Shared helpers of the course tests (here and in ``tests/bot``): a pinned clock in Almaty time
and database shortcuts."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from backend.courses import service as courses
from backend.courses.validation import CourseInput
from backend.db import SessionPool, create_engine, create_session_pool
from backend.models import CourseRecord, Notification, User
from backend.settings import DatabaseSettings

ALMATY = ZoneInfo("Asia/Almaty")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment given in Almaty wall time, as the UTC instant the code receives."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ALMATY).astimezone(dt.UTC)


def at_local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ALMATY)


async def new_teacher(pool: SessionPool, telegram_id: int) -> int:
    async with pool() as session:
        user = User(telegram_id=telegram_id, language="kk")
        session.add(user)
        await session.commit()
        assert user.id is not None
        return user.id


async def add_course(
    pool: SessionPool, user_id: int, completed_on: dt.date, title: str = "Курс"
) -> int:
    async with pool() as session:
        record = await courses.add_course(
            session=session,
            user_id=user_id,
            course=CourseInput(completed_on=completed_on, title=title, provider="orleu"),
        )
        assert record.id is not None
        return record.id


async def outbox(pool: SessionPool) -> list[Notification]:
    async with pool() as session:
        rows = await session.exec(select(Notification).order_by(col(Notification.id)))
        return list(rows.all())


async def keys(pool: SessionPool) -> list[str]:
    return [row.dedupe_key for row in await outbox(pool)]


async def stored_courses(pool: SessionPool, user_id: int) -> list[CourseRecord]:
    async with pool() as session:
        return await courses.list_courses(session=session, user_id=user_id)


@contextlib.asynccontextmanager
async def restarted(database_url: str) -> AsyncIterator[SessionPool]:
    """A session pool on a new engine of the same database: what a restarted process has (no
    connection, cache or memory of the one before)."""
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        yield create_session_pool(engine)
    finally:
        await engine.dispose()
