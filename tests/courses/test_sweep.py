"""The reminder sweep on real databases (SQLite and PostgreSQL) with a pinned clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import text

from backend.courses import service as courses
from backend.db import SessionPool
from backend.models import CourseRecord, User
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings
from tests.courses.helpers import ALMATY, add_course, at_local, keys, local, new_teacher, outbox
from tests.rendering import rendered

COMPLETED = dt.date(2023, 5, 10)  # due 10.05.2026
DUE = dt.date(2026, 5, 10)
LADDER = {
    "d180": dt.date(2025, 11, 11),
    "d90": dt.date(2026, 2, 9),
    "d30": dt.date(2026, 4, 10),
    "d7": dt.date(2026, 5, 3),
    "d0": dt.date(2026, 5, 10),
    "o30": dt.date(2026, 6, 9),
    "o60": dt.date(2026, 7, 9),
}


def _key(user_id: int, milestone: str, due: dt.date = DUE) -> str:
    return f"course:{user_id}:{due.isoformat()}:{milestone}"


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


async def test_the_whole_ladder_once_each_at_09_00_almaty(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1001)
    await add_course(session_pool, user_id, COMPLETED)
    inserted_on: dict[dt.date, int] = {}
    # A sweep every day at noon, and the sweeps around each rung's morning.
    for day in _days(dt.date(2025, 11, 1), dt.date(2026, 7, 20)):
        count = await courses.sweep(session_pool, settings, ruleset, local(*day.timetuple()[:3]))
        if count:
            inserted_on[day] = count
    assert inserted_on == dict.fromkeys(LADDER.values(), 1)
    rows = await outbox(session_pool)
    assert [row.dedupe_key for row in rows] == [_key(user_id, rung) for rung in LADDER]
    for row, (rung, day) in zip(rows, LADDER.items(), strict=True):
        assert row.next_attempt_at.tzinfo == dt.UTC
        assert at_local(row.next_attempt_at) == dt.datetime.combine(
            day, dt.time(12, 0), tzinfo=ALMATY
        )  # swept at noon, inside the allowed hours: sent at once
        assert (row.kind, row.status, row.chat_id) == ("course_reminder", "pending", 1001)
        assert row.payload["milestone"] == rung
        assert row.payload["due"] == "2026-05-10"
        assert "Біліктілікті арттыру" in rendered(row.payload, "kk")
        assert "Повышение квалификации" in rendered(row.payload, "ru")
    # Sweeping again, any number of times, enqueues nothing more.
    for moment in (local(2026, 7, 20), local(2026, 7, 20, 9), local(2026, 7, 20, 23)):
        assert await courses.sweep(session_pool, settings, ruleset, moment) == 0
    assert len(await outbox(session_pool)) == len(LADDER)


async def test_rungs_swept_before_the_morning_go_out_at_09_00(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1002)
    await add_course(session_pool, user_id, COMPLETED)
    # 08:59 on the d180 day is quiet: the d180 reminder is enqueued for 09:00.
    assert await courses.sweep(session_pool, settings, ruleset, local(2025, 11, 10, 19, 59)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2025, 11, 11, 2, 0)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2025, 11, 11, 8, 59)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2025, 11, 11, 9, 0)) == 0
    (row,) = await outbox(session_pool)
    assert row.dedupe_key == _key(user_id, "d180")
    assert row.next_attempt_at == dt.datetime(2025, 11, 11, 4, 0, tzinfo=dt.UTC)  # 09:00 UTC+5


async def test_a_rung_falling_at_21_30_goes_out_at_09_00_next_morning(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1003)
    await add_course(session_pool, user_id, COMPLETED)
    # The backend was down all day on the d30 day and comes back at 21:30.
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 10, 21, 30)) == 1
    (row,) = await outbox(session_pool)
    assert row.dedupe_key == _key(user_id, "d30")
    assert row.next_attempt_at == dt.datetime(2026, 4, 11, 4, 0, tzinfo=dt.UTC)
    assert at_local(row.next_attempt_at) == dt.datetime(2026, 4, 11, 9, 0, tzinfo=ALMATY)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 11, 9, 0)) == 0


async def test_catch_up_after_downtime_sends_only_the_latest_missed_rung(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1004)
    await add_course(session_pool, user_id, COMPLETED)
    # Down from before d180 until 3 days before the due date: d180, d90, d30 and d7 missed.
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 7, 10)) == 1
    assert await keys(session_pool) == [_key(user_id, "d7")]
    payload = (await outbox(session_pool))[0].payload
    assert "осталось 3 дня" in rendered(payload, "ru")
    for day in _days(dt.date(2026, 5, 7), dt.date(2026, 5, 12)):
        await courses.sweep(session_pool, settings, ruleset, local(*day.timetuple()[:3]))
    # The older rungs are never sent later; the next one comes on its day.
    assert await keys(session_pool) == [_key(user_id, "d7"), _key(user_id, "d0")]
    # Down again for 100 days past the due date: only o90 of o30, o60, o90.
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 8, 20, 10)) == 1
    assert (await keys(session_pool))[-1] == _key(user_id, "o90")


async def test_snooze_7_days(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1005)
    await add_course(session_pool, user_id, COMPLETED)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 3, 10)) == 1  # d7
    async with session_pool() as session:
        preference = await courses.snooze_reminders(
            session=session, user_id=user_id, now=local(2026, 5, 5, 10)
        )
    assert preference.snoozed_until == local(2026, 5, 12, 10)
    for moment in (local(2026, 5, 10, 9), local(2026, 5, 11, 12), local(2026, 5, 12, 9, 59)):
        assert await courses.sweep(session_pool, settings, ruleset, moment) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 12, 10)) == 1
    assert await keys(session_pool) == [_key(user_id, "d7"), _key(user_id, "d0")]


async def test_stop_these_reminders(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1006)
    await add_course(session_pool, user_id, COMPLETED)
    async with session_pool() as session:
        await courses.stop_reminders(session=session, user_id=user_id)
    for day in LADDER.values():
        assert (
            await courses.sweep(session_pool, settings, ruleset, local(*day.timetuple()[:3])) == 0
        )
    async with session_pool() as session:
        await courses.save_preference(session=session, user_id=user_id, stopped=False)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 7, 10)) == 1
    assert await keys(session_pool) == [_key(user_id, "o60")]


async def test_correcting_the_date_starts_a_new_cycle(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1007)
    course_id = await add_course(session_pool, user_id, COMPLETED)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 10)) == 1  # d30
    # The teacher notices a typo: the course ended a month later. Due 10.06.2026 now.
    async with session_pool() as session:
        await courses.edit_course(
            session=session,
            user_id=user_id,
            course_id=course_id,
            changes={"completed_on": dt.date(2023, 6, 10)},
        )
    for day in _days(dt.date(2026, 4, 11), dt.date(2026, 6, 12)):
        await courses.sweep(session_pool, settings, ruleset, local(*day.timetuple()[:3]))
    new_due = dt.date(2026, 6, 10)
    assert await keys(session_pool) == [
        _key(user_id, "d30"),  # the old cycle, sent before the correction
        _key(user_id, "d90", new_due),  # the new cycle's latest rung: 60 days left
        _key(user_id, "d30", new_due),
        _key(user_id, "d7", new_due),
        _key(user_id, "d0", new_due),
    ]
    rows = await outbox(session_pool)
    assert rows[1].next_attempt_at == local(2026, 4, 11)  # at the first sweep after the edit
    assert "осталось 60 дней" in rendered(rows[1].payload, "ru")
    assert rows[2].next_attempt_at == local(2026, 5, 11)  # 30 days before 10.06


async def test_a_new_course_ends_the_reminders(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1008)
    await add_course(session_pool, user_id, COMPLETED)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 3)) == 1
    await add_course(session_pool, user_id, dt.date(2026, 5, 4))
    for day in _days(dt.date(2026, 5, 4), dt.date(2026, 8, 1)):
        await courses.sweep(session_pool, settings, ruleset, local(*day.timetuple()[:3]))
    assert await keys(session_pool) == [_key(user_id, "d7")]
    async with session_pool() as session:
        due = await courses.next_due(session=session, user_id=user_id, ruleset=ruleset)
    assert due == dt.date(2029, 5, 4)


async def test_29_february(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1009)
    await add_course(session_pool, user_id, dt.date(2024, 2, 29))
    async with session_pool() as session:
        due = await courses.next_due(session=session, user_id=user_id, ruleset=ruleset)
    assert due == dt.date(2027, 2, 28)
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 2, 27)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 2, 28)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2027, 3, 1)) == 0
    assert await keys(session_pool) == [
        _key(user_id, "d7", dt.date(2027, 2, 28)),  # 21.02.2027, caught up on the 27th
        _key(user_id, "d0", dt.date(2027, 2, 28)),
    ]


async def test_many_teachers_unreachable_and_without_courses(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    expected = []
    for n in range(40):
        user_id = await new_teacher(session_pool, 2000 + n)
        completed = COMPLETED - dt.timedelta(days=n * 20)
        await add_course(session_pool, user_id, completed)
        await add_course(session_pool, user_id, completed - dt.timedelta(days=400))  # older one
        expected.append(user_id)
    blocked = await new_teacher(session_pool, 3000)
    await add_course(session_pool, blocked, COMPLETED)
    async with session_pool() as session:
        user = await session.get(User, blocked)
        assert user is not None
        user.unreachable_at = utcnow()
        await session.commit()
    await new_teacher(session_pool, 3001)  # no course: nothing is due
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 10)) == 40
    rows = await outbox(session_pool)
    assert sorted(row.user_id or 0 for row in rows) == expected
    by_user = {row.user_id: row.payload["milestone"] for row in rows}
    assert by_user[expected[0]] == "d0"
    assert by_user[expected[3]] == "o60"  # 60 days overdue
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 10, 15)) == 0


async def test_testing_window_reminder(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    user_id = await new_teacher(session_pool, 1010)
    await add_course(session_pool, user_id, dt.date(2021, 9, 1))  # nothing due in 2022
    assert await courses.sweep(session_pool, settings, ruleset, local(2022, 3, 27)) == 0
    assert await courses.sweep(session_pool, settings, ruleset, local(2022, 3, 28)) == 1
    assert await courses.sweep(session_pool, settings, ruleset, local(2022, 4, 5)) == 0
    (row,) = await outbox(session_pool)
    assert row.dedupe_key == f"testing:{user_id}:2022-04-11"
    assert row.kind == "testing_reminder"
    assert "11.04.2022 – 29.04.2022" in rendered(row.payload, "ru")
    assert "№146" in rendered(row.payload, "kk")


async def test_a_deleted_course_and_the_sweep_with_no_courses(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 10)) == 0
    user_id = await new_teacher(session_pool, 1011)
    course_id = await add_course(session_pool, user_id, COMPLETED)
    async with session_pool() as session:
        await courses.delete_course(session=session, user_id=user_id, course_id=course_id)
        assert await session.get(CourseRecord, course_id) is None
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 5, 10)) == 0


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a PostgreSQL lock
async def test_postgres_advisory_lock_keeps_one_sweeper(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    for n in range(20):
        user_id = await new_teacher(session_pool, 4000 + n)
        await add_course(session_pool, user_id, COMPLETED - dt.timedelta(days=n * 7))
    now = local(2026, 5, 10)
    async with session_pool() as holder, holder.begin():
        await (await holder.connection()).execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": courses.SWEEP_LOCK_KEY}
        )
        # Another process holds the lock: this one returns at once without sweeping.
        assert await courses.sweep(session_pool, settings, ruleset, now) == 0
    results = await asyncio.gather(
        *(courses.sweep(session_pool, settings, ruleset, now) for _ in range(4))
    )
    assert sum(results) == 20
    assert len(set(await keys(session_pool))) == len(await keys(session_pool)) == 20


async def test_a_bounded_sweep_enqueues_the_rest_next_time(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    for n in range(5):
        user_id = await new_teacher(session_pool, 5000 + n)
        await add_course(session_pool, user_id, COMPLETED)
        await add_course(session_pool, user_id, COMPLETED)  # the same day twice: one reminder
    now = local(2026, 5, 10)
    counts = [await courses.sweep(session_pool, settings, ruleset, now, limit=3) for _ in range(3)]
    assert counts == [3, 2, 0]
    assert len(set(await keys(session_pool))) == 5
