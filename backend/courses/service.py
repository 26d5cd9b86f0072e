"""Refresher courses of a teacher: add, edit, delete, list; the next due date; reminder choices.

Each public function owns its transaction. The reminder sweep lives in
``backend.courses.sweep`` and is re-exported here; ``add_sweep_job`` puts it on the backend's
scheduler.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses.cycle import due_date
from backend.courses.messages import COURSE_KIND
from backend.courses.preferences import snooze_until
from backend.courses.sweep import SWEEP_LOCK_KEY, build_plan, sweep
from backend.courses.validation import CourseInput
from backend.db import SessionPool
from backend.metrics import Metrics
from backend.models import CourseRecord, Notification, ReminderPreference, User
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings

__all__ = [
    "SWEEP_JOB_ID",
    "SWEEP_LOCK_KEY",
    "CourseNotFoundError",
    "add_course",
    "add_sweep_job",
    "build_plan",
    "delete_course",
    "due_date",
    "edit_course",
    "find_user_id",
    "get_course",
    "last_completion",
    "list_courses",
    "load_preference",
    "next_due",
    "resume_reminders",
    "save_preference",
    "snooze_reminders",
    "stop_reminders",
    "sweep",
    "timed_sweep",
]

SWEEP_JOB_ID = "course_reminder_sweep"


async def timed_sweep(
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    now: dt.datetime,
    metrics: Metrics | None,
) -> int:
    """``sweep``, its duration and rows counted in ``metrics``."""
    if metrics is None:
        return await sweep(session_pool, settings, ruleset, now)
    with metrics.time_sweep():
        inserted = await sweep(session_pool, settings, ruleset, now)
    metrics.sweep_rows.inc(inserted)
    return inserted


_KEEP = object()  # "leave unchanged" for save_preference


class CourseNotFoundError(LookupError):
    """No such course for this user (another user's course is not found either)."""


async def find_user_id(*, session: AsyncSession, telegram_id: int) -> int | None:
    return (await session.exec(select(User.id).where(User.telegram_id == telegram_id))).first()


async def list_courses(*, session: AsyncSession, user_id: int) -> list[CourseRecord]:
    """Newest completion first."""
    query = (
        select(CourseRecord)
        .where(CourseRecord.user_id == user_id)
        .order_by(col(CourseRecord.completed_on).desc(), col(CourseRecord.id).desc())
    )
    return list((await session.exec(query)).all())


async def get_course(*, session: AsyncSession, user_id: int, course_id: int) -> CourseRecord:
    course = await session.get(CourseRecord, course_id)
    if course is None or course.user_id != user_id:
        raise CourseNotFoundError(course_id)
    return course


async def _withdraw_stale_reminders(
    session: AsyncSession, user_id: int, latest_before: dt.date | None
) -> None:
    """When the latest completion changed, the reminders still waiting in the outbox speak of
    the old cycle (its due date, "overdue"): they are cancelled, in the caller's transaction.

    The sweep enqueues the new cycle's reminders under new keys on its next pass. (Only when
    the due date stays the same, 28 → 29 February of a leap year, is the waiting rung not
    re-sent: its key is taken; the next rung comes as usual.) Rows being sent are left alone.
    """
    await session.flush()
    if await last_completion(session=session, user_id=user_id) == latest_before:
        return
    outbox = Notification.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    await connection.execute(
        update(outbox)
        .where(
            outbox.c.user_id == user_id,
            outbox.c.kind == COURSE_KIND,
            outbox.c.status == "pending",
        )
        .values(status="cancelled", last_error="the course dates changed")
    )


async def add_course(*, session: AsyncSession, user_id: int, course: CourseInput) -> CourseRecord:
    """Store a validated course (``backend.courses.validate_course``)."""
    latest_before = await last_completion(session=session, user_id=user_id)
    record = CourseRecord(user_id=user_id, **dataclasses.asdict(course))
    session.add(record)
    await _withdraw_stale_reminders(session, user_id, latest_before)
    await session.commit()
    return record


async def edit_course(
    *, session: AsyncSession, user_id: int, course_id: int, changes: dict[str, Any]
) -> CourseRecord:
    """Apply validated changes (``validate_changes``).

    A corrected completion date changes the due date, so the next sweep works on a new cycle
    of dedupe keys: the ladder is recomputed and the old cycle's remaining rungs never go out
    (those already waiting in the outbox are withdrawn).
    """
    record = await get_course(session=session, user_id=user_id, course_id=course_id)
    latest_before = await last_completion(session=session, user_id=user_id)
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = utcnow()
    if "completed_on" in changes:
        await _withdraw_stale_reminders(session, user_id, latest_before)
    await session.commit()
    return record


async def delete_course(*, session: AsyncSession, user_id: int, course_id: int) -> None:
    record = await get_course(session=session, user_id=user_id, course_id=course_id)
    latest_before = await last_completion(session=session, user_id=user_id)
    await session.delete(record)
    await _withdraw_stale_reminders(session, user_id, latest_before)
    await session.commit()


async def last_completion(*, session: AsyncSession, user_id: int) -> dt.date | None:
    query = select(func.max(CourseRecord.completed_on)).where(CourseRecord.user_id == user_id)
    return (await session.exec(query)).first()


async def next_due(*, session: AsyncSession, user_id: int, ruleset: Ruleset) -> dt.date | None:
    """The date the next course is due by (from the latest completion); None without a course."""
    last = await last_completion(session=session, user_id=user_id)
    if last is None:
        return None
    return due_date(last, ruleset.meta.refresher.period_years)


async def load_preference(*, session: AsyncSession, user_id: int) -> ReminderPreference | None:
    return await session.get(ReminderPreference, user_id)


async def save_preference(
    *,
    session: AsyncSession,
    user_id: int,
    stopped: bool | None = None,
    snoozed_until: dt.datetime | object | None = _KEEP,
) -> ReminderPreference:
    """Set ``stopped`` and/or ``snoozed_until`` (None clears a snooze); others stay as they are."""
    preference = await session.get(ReminderPreference, user_id)
    if preference is None:
        preference = ReminderPreference(user_id=user_id)
        session.add(preference)
    if stopped is not None:
        preference.stopped = stopped
    if snoozed_until is not _KEEP:
        if snoozed_until is not None and not isinstance(snoozed_until, dt.datetime):
            raise TypeError("snoozed_until must be a datetime or None")
        preference.snoozed_until = snoozed_until
    preference.updated_at = utcnow()
    await session.commit()
    return preference


async def snooze_reminders(
    *, session: AsyncSession, user_id: int, now: dt.datetime
) -> ReminderPreference:
    """The "Snooze 7 days" button: nothing is enqueued before then; the latest rung after."""
    return await save_preference(session=session, user_id=user_id, snoozed_until=snooze_until(now))


async def stop_reminders(*, session: AsyncSession, user_id: int) -> ReminderPreference:
    """The "Stop these reminders" button: until the teacher turns them back on."""
    return await save_preference(session=session, user_id=user_id, stopped=True)


async def resume_reminders(*, session: AsyncSession, user_id: int) -> ReminderPreference:
    """The "Turn reminders on" button of My courses: it ends a snooze too."""
    return await save_preference(
        session=session, user_id=user_id, stopped=False, snoozed_until=None
    )


def add_sweep_job(
    scheduler: Any,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    metrics: Metrics | None = None,
) -> None:
    """Put the sweep on the backend's APScheduler (one job, fixed id, every interval); its
    duration and the rows it enqueued go to ``metrics``."""

    async def run() -> None:
        await timed_sweep(session_pool, settings, ruleset, utcnow(), metrics)

    scheduler.add_job(
        run,
        "interval",
        seconds=settings.scheduler.sweep_interval_seconds,
        id=SWEEP_JOB_ID,
        replace_existing=True,
    )
