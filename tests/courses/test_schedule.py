"""The sweep's schedule (``reminder_schedule``) on real databases: triggers mark a teacher,
the sweep looks only at teachers whose moment has come and stores the next one."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import delete, insert, select, update

from backend.courses import service as courses
from backend.courses.checkins import checkin_months, stage_ranges
from backend.courses.schedule import EPOCH, Ladder, day_start, next_look_day, stage_start
from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import downgrade_async, upgrade_async
from backend.models import CourseRecord, Notification, ReminderSchedule, User
from backend.rules.loader import Ruleset
from backend.settings import DatabaseSettings, Settings
from tests.courses.helpers import ALMATY, add_course, keys, local, new_teacher

COMPLETED = dt.date(2023, 5, 10)  # due 10.05.2026: d90 on 09.02.2026, d30 on 10.04.2026
LADDER = Ladder(
    period_years=3,
    reminder_days=(180, 90, 30, 7, 0),
    overdue_every_days=30,
    checkin_months=(1, 3, 6),
)


async def _next_at(pool: SessionPool, user_id: int) -> dt.datetime | None:
    async with pool() as session:
        row = await session.get(ReminderSchedule, user_id, populate_existing=True)
        assert row is not None
        return row.next_at


async def _execute(pool: SessionPool, statement: object) -> None:
    async with pool() as session, session.begin():
        await (await session.connection()).execute(statement)  # type: ignore[call-overload]


async def test_any_writer_of_a_course_marks_the_teacher_and_the_sweep_stores_the_next_rung(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 7001)
    # plain SQL, not the service: the trigger still sees it
    await _execute(
        session_pool,
        insert(CourseRecord).values(
            user_id=user_id,
            completed_on=COMPLETED,
            title="Курс",
            provider="orleu",
            created_at=EPOCH,
            updated_at=EPOCH,
        ),
    )
    assert await _next_at(session_pool, user_id) == EPOCH
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 3, 1)) == 1  # d90
    # next: d30 on 10.04.2026, from midnight in Almaty (the sweep's day is the send moment's)
    expected = dt.datetime(2026, 4, 10, tzinfo=ALMATY).astimezone(dt.UTC)
    assert await _next_at(session_pool, user_id) == expected
    # the teacher is not looked at before then: a row removed behind the sweep's back (no
    # trigger on the outbox) is not re-created by the sweeps in between
    await _execute(session_pool, delete(Notification))
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 3, 2)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 9, 19, 59)) == 0
    # 20:00 on the eve: the send moment is 09:00 on 10.04, the rung's day
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 9, 20, 0)) == 1
    assert await keys(session_pool) == [f"course:{user_id}:2026-05-10:d30"]


async def test_choices_and_reachability_mark_the_teacher_again(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 7002)
    await add_course(session_pool, user_id, COMPLETED)
    now = local(2026, 3, 1)
    async with session_pool() as session:
        await courses.stop_reminders(session=session, user_id=user_id)
    assert await courses.sweep(session_pool, settings, ruleset, now) == 0
    assert await _next_at(session_pool, user_id) is None  # stopped: nothing ahead
    async with session_pool() as session:
        await courses.resume_reminders(session=session, user_id=user_id)
    assert await _next_at(session_pool, user_id) == EPOCH
    async with session_pool() as session:
        await courses.snooze_reminders(session=session, user_id=user_id, now=now)
    assert await courses.sweep(session_pool, settings, ruleset, now) == 0
    snoozed = await _next_at(session_pool, user_id)
    assert snoozed == now + dt.timedelta(days=7)  # the latest rung goes out when it ends
    assert await courses.sweep(session_pool, settings, ruleset, now + dt.timedelta(days=7)) == 1
    # a 403 makes the teacher unreachable (the worker's update), writing to us again clears it
    users = User.__table__.c  # type: ignore[attr-defined]
    await _execute(
        session_pool, update(User).where(users.id == user_id).values(unreachable_at=now)
    )
    assert await _next_at(session_pool, user_id) == EPOCH
    assert await courses.sweep(session_pool, settings, ruleset, now) == 0
    assert await _next_at(session_pool, user_id) is None
    await _execute(
        session_pool, update(User).where(users.id == user_id).values(unreachable_at=None)
    )
    assert await _next_at(session_pool, user_id) == EPOCH


async def test_a_changed_ladder_makes_every_teacher_due_again(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 7003)
    await add_course(session_pool, user_id, COMPLETED)
    now = local(2026, 3, 1)
    assert await courses.sweep(session_pool, settings, ruleset, now) == 1  # d90
    assert await courses.sweep(session_pool, settings, ruleset, now) == 0
    # an operator adds a rung 60 days before: due on 11.03.2026, not the stored 10.04.2026
    changed = settings.model_copy(
        update={
            "delivery": settings.delivery.model_copy(update={"reminder_days": [180, 90, 60, 30]})
        }
    )
    assert await courses.sweep(session_pool, changed, ruleset, now) == 0
    assert await _next_at(session_pool, user_id) == dt.datetime(
        2026, 3, 11, tzinfo=ALMATY
    ).astimezone(dt.UTC)
    assert await courses.sweep(session_pool, changed, ruleset, local(2026, 3, 11)) == 1
    assert f"course:{user_id}:2026-05-10:d60" in await keys(session_pool)


async def test_the_migration_backfills_every_teacher_with_a_course(
    empty_database_url: str, ruleset: Ruleset
) -> None:
    settings = Settings(_env_file=None, database=DatabaseSettings(url=empty_database_url))
    await upgrade_async(empty_database_url, "0010")
    engine = create_engine(DatabaseSettings(url=empty_database_url))
    try:
        async with engine.begin() as connection:
            for user_id in (1, 2, 3):
                await connection.execute(
                    insert(User).values(
                        id=user_id,
                        telegram_id=8000 + user_id,
                        language="kk",
                        created_at=EPOCH,
                        updated_at=EPOCH,
                    )
                )
            for user_id in (1, 2):  # teacher 3 has no course
                await connection.execute(
                    insert(CourseRecord).values(
                        user_id=user_id,
                        completed_on=COMPLETED,
                        title="Курс",
                        provider="orleu",
                        created_at=EPOCH,
                        updated_at=EPOCH,
                    )
                )
        await upgrade_async(empty_database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(select(ReminderSchedule.__table__))).all()  # type: ignore[attr-defined]
        assert sorted((row.user_id, row.next_at) for row in rows) == [(1, EPOCH), (2, EPOCH)]
        pool = create_session_pool(engine)
        assert await courses.sweep(pool, settings, ruleset, local(2026, 3, 1)) == 2
        assert await courses.sweep(pool, settings, ruleset, local(2026, 3, 1)) == 0
    finally:
        await engine.dispose()
    await downgrade_async(empty_database_url, "0010")


def test_the_next_look_is_the_next_rung_or_check_in_stage() -> None:
    completed = dt.date(2026, 1, 31)
    # check-ins: 1 month (from 01.03, as 31.02 does not exist), 3 months, 6 months
    assert next_look_day((completed,), dt.date(2026, 2, 1), LADDER) == dt.date(2026, 3, 1)
    assert next_look_day((completed,), dt.date(2026, 3, 1), LADDER) == dt.date(2026, 5, 1)
    assert next_look_day((completed,), dt.date(2026, 8, 1), LADDER) == dt.date(2028, 8, 4)  # d180
    # overdue: every 30 days after the due date, however late
    old = (dt.date(2020, 1, 10),)  # due 10.01.2023
    assert next_look_day(old, dt.date(2026, 3, 1), LADDER) == dt.date(2026, 3, 25)
    assert next_look_day((), dt.date(2026, 3, 1), LADDER) is None
    assert day_start(dt.date(2026, 3, 1), ALMATY) == dt.datetime(2026, 2, 28, 19, tzinfo=dt.UTC)


def test_stage_starts_agree_with_the_check_in_ranges() -> None:
    """``stage_start`` is the first day ``stage_ranges`` puts a course in a stage, for every
    completion date of a leap and a common year (month ends included)."""
    months = sorted(checkin_months())
    completed_on = dt.date(2027, 12, 31)
    while completed_on <= dt.date(2028, 12, 31):
        for stage in months:
            start = stage_start(completed_on, stage)
            in_stage = {m for m, lo, hi in stage_ranges(start) if lo <= completed_on <= hi}
            before = {
                m
                for m, lo, hi in stage_ranges(start - dt.timedelta(days=1))
                if lo <= completed_on <= hi
            }
            assert stage in in_stage
            assert stage not in before
        completed_on += dt.timedelta(days=1)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # concurrent writers
async def test_a_course_added_during_a_sweep_is_not_lost(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    """The sweep locks the schedule rows it takes: a course committed while it runs is either
    seen by it or leaves the teacher marked for the next sweep, never overwritten."""
    now = local(2026, 3, 1)
    other = await new_teacher(session_pool, 7005)
    await add_course(session_pool, other, dt.date(2022, 1, 1))
    assert await courses.sweep(session_pool, settings, ruleset, now) == 1  # warm: data loaded
    user_id = await new_teacher(session_pool, 7004)
    await add_course(session_pool, user_id, dt.date(2022, 1, 1))  # overdue: a rung is due
    async with session_pool() as writer:
        # the new course is written (its trigger resets the teacher's row) but not committed
        await (await writer.connection()).execute(
            insert(CourseRecord).values(
                user_id=user_id,
                completed_on=COMPLETED,
                title="Жаңа",
                provider="orleu",
                created_at=EPOCH,
                updated_at=EPOCH,
            )
        )
        sweeping = asyncio.create_task(courses.sweep(session_pool, settings, ruleset, now))
        await asyncio.sleep(1.5)  # the sweep waits for the writer's row lock meanwhile
        await writer.commit()
    await sweeping
    found = await keys(session_pool)
    if f"course:{user_id}:2026-05-10:d90" not in found:  # not seen: still marked, then sent
        assert await _next_at(session_pool, user_id) == EPOCH
        await courses.sweep(session_pool, settings, ruleset, now)
    assert f"course:{user_id}:2026-05-10:d90" in await keys(session_pool)
