"""Outbox retention on real databases: old finished rows go, the sweep's memory stays.

The property protected: purging finished outbox rows must never make the sweep send a course
reminder twice. Since the sweep reads only the teachers its schedule says are due
(``backend.courses.schedule``), a teacher is normally looked at again only on the next rung's
day, when the purged rung is no longer the latest one, so a careless purge would go unnoticed
in a quiet simulation. But every change to a teacher's courses, reminder choices, reachability
or memberships (and a changed ladder) makes the next sweep look at them again at once, and then
only the outbox row stands between the teacher and a second copy of the current rung. The
simulations therefore also run with the teacher touching their reminder settings every day
(the worst case: looked at on every sweep, as before the schedule existed).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from backend.courses import service as courses
from backend.db import SessionPool
from backend.delivery.retention import (
    RETENTION_JOB_ID,
    add_retention_job,
    course_horizon_days,
    purge_finished,
)
from backend.models import Notification
from backend.rules.loader import Ruleset
from backend.scheduler import create_scheduler
from backend.settings import Settings
from tests.courses.helpers import add_course, local, new_teacher, outbox

COMPLETED = dt.date(2023, 5, 10)  # due 10.05.2026: d180 on 11.11.2025 … o60 on 09.07.2026
RUNGS = ["d180", "d90", "d30", "d7", "d0", "o30", "o60"]


async def _mark_all_sent(pool: SessionPool, when: dt.datetime) -> None:
    """What the delivery worker would do: every pending row goes out."""
    async with pool() as session:
        await session.exec(
            update(Notification)
            .where(Notification.status == "pending")  # type: ignore[arg-type]
            .values(status="sent", sent_at=when)
        )
        await session.commit()


async def _touch(pool: SessionPool, user_id: int) -> None:
    """The teacher taps "Turn reminders on" (nothing was off): a trigger makes the next sweep
    look at them again before their next rung."""
    async with pool() as session:
        await courses.resume_reminders(session=session, user_id=user_id)


async def _daily_sweep_send_purge(
    pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    *,
    retention_days: int,
    course_horizon: int | None,
    touch_daily: int | None = None,
) -> tuple[list[str], int]:
    """Every day for nine months: (the teacher ``touch_daily`` touches their settings,) sweep
    at noon, send, purge. Returns every key ever enqueued (in order, duplicates included) and
    how many rows the purges deleted."""
    enqueued: list[str] = []
    purged = 0
    day = dt.date(2025, 11, 1)
    while day <= dt.date(2026, 7, 31):
        noon = local(day.year, day.month, day.day)
        if touch_daily is not None:
            await _touch(pool, touch_daily)
        before = {row.dedupe_key for row in await outbox(pool)}
        inserted = await courses.sweep(pool, settings, ruleset, noon)
        # (ids may be reused on SQLite after a delete: compare keys, not ids)
        new = [row.dedupe_key for row in await outbox(pool) if row.dedupe_key not in before]
        assert len(new) == inserted
        enqueued += new
        await _mark_all_sent(pool, noon)
        purged += await purge_finished(
            pool, noon, retention_days, course_horizon=course_horizon, batch=2
        )
        day += dt.timedelta(days=1)
    return enqueued, purged


@pytest.mark.slow  # nine months, a day at a time: 10-15 s per database; CI runs it
@pytest.mark.parametrize("touched", [False, True], ids=["quiet", "touched-daily"])
async def test_purge_and_sweep_never_enqueue_a_reminder_twice(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset, touched: bool
) -> None:
    user_id = await new_teacher(session_pool, 3001)
    await add_course(session_pool, user_id, COMPLETED)
    horizon = course_horizon_days(
        settings.delivery.reminder_days, settings.delivery.overdue_every_days
    )
    # the shortest retention allowed: only the sweep's horizon keeps course rows alive
    enqueued, purged = await _daily_sweep_send_purge(
        session_pool,
        settings,
        ruleset,
        retention_days=1,
        course_horizon=horizon,
        touch_daily=user_id if touched else None,
    )
    course_keys = [key for key in enqueued if key.startswith("course:")]
    assert course_keys == [f"course:{user_id}:2026-05-10:{rung}" for rung in RUNGS]
    assert len(enqueued) == len(set(enqueued))
    assert purged >= 3  # the early rungs were purged meanwhile, and still not re-enqueued
    left = {row.dedupe_key for row in await outbox(session_pool)}
    assert f"course:{user_id}:2026-05-10:d180" not in left
    assert f"course:{user_id}:2026-05-10:o60" in left  # still the latest rung: kept


@pytest.mark.slow  # the same nine months
async def test_a_purge_ignoring_the_sweep_horizon_would_resend(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    """The control experiment: purging course rows by age alone re-sends reminders.

    It shows the test above can fail. A purge ignoring the horizon deletes each rung's row the
    day after it was sent; the sweep's schedule alone would hide that (the teacher is next
    looked at on the next rung's day), so the teacher touches their settings every day, as any
    teacher may: each sweep then looks at them, finds the current rung's row gone and enqueues
    it again. The horizon, not the schedule, is what keeps retention from re-sending.
    """
    user_id = await new_teacher(session_pool, 3002)
    await add_course(session_pool, user_id, COMPLETED)
    enqueued, _ = await _daily_sweep_send_purge(
        session_pool,
        settings,
        ruleset,
        retention_days=1,
        course_horizon=0,
        touch_daily=user_id,
    )
    course_keys = [key for key in enqueued if key.startswith("course:")]
    assert len(course_keys) > len(set(course_keys))
    # each rung went out again every few days while it stayed the latest one
    assert {key: course_keys.count(key) > 1 for key in course_keys} == {
        f"course:{user_id}:2026-05-10:{rung}": True for rung in RUNGS
    }


async def test_old_finished_broadcast_and_digest_rows_are_purged_in_batches(
    session_pool: SessionPool,
) -> None:
    now = local(2026, 6, 1)
    old, recent = now - dt.timedelta(days=120), now - dt.timedelta(days=10)
    rows = [
        # (key, kind, status, created_at, sent_at, kept?)
        ("b1", "broadcast", "sent", old, old, False),
        ("b2", "broadcast", "failed", old, None, False),
        ("b3", "broadcast", "cancelled", old, None, False),
        ("d1", "digest", "sent", old, old, False),
        ("d2", "digest", "sent", old, recent, True),  # sent late (retried): counts from sending
        ("b4", "broadcast", "sent", recent, recent, True),
        ("b5", "broadcast", "pending", old, None, True),  # never finished: never purged
        ("b6", "broadcast", "sending", old, None, True),
        ("c1", "course_reminder", "sent", now - dt.timedelta(days=91), old, True),  # in horizon
        ("c2", "course_reminder", "sent", old, old, False),
    ]
    async with session_pool() as session:
        for key, kind, status, created, sent, _ in rows:
            session.add(
                Notification(
                    chat_id=1,
                    kind=kind,
                    dedupe_key=key,
                    payload={"text": {"ru": "…"}},
                    status=status,
                    created_at=created,
                    sent_at=sent,
                )
            )
        await session.commit()
    assert await purge_finished(session_pool, now, 90, batch=2) == 5
    left = {row.dedupe_key for row in await outbox(session_pool)}
    assert left == {key for key, *_, kept in rows if kept}
    assert await purge_finished(session_pool, now, 90) == 0


def test_the_horizon_covers_the_widest_gap_of_the_ladder() -> None:
    assert course_horizon_days([180, 90, 30, 7, 0], 30) == 92  # d180 -> d90
    assert course_horizon_days([7, 0], 60) == 62  # d0 -> o60, overdue rungs 60 apart
    assert course_horizon_days([], 30) == 32


async def test_the_retention_job_is_added_once_with_a_fixed_id(
    session_pool: SessionPool, settings: Settings
) -> None:
    scheduler = create_scheduler(settings.scheduler)
    scheduler.start(paused=True)
    try:
        add_retention_job(scheduler, session_pool, settings)
        add_retention_job(scheduler, session_pool, settings)  # a restart: replaced, not doubled
        [job] = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert job.id == RETENTION_JOB_ID
    assert str(job.trigger.timezone) == "Asia/Almaty"
    assert str(job.trigger.fields[5]) == "3"  # the hour field: daily at 03:17 local time
