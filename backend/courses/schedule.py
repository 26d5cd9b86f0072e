"""When the reminder sweep next has to look at a teacher: ``reminder_schedule.next_at``.

The sweep (``backend.courses.sweep``) no longer reads every teacher each minute: it takes the
rows of ``reminder_schedule`` whose ``next_at`` is at or before its send moment, through an
index, enqueues what is due for those teachers only, then stores each one's next moment:

* the next rung of the course ladder after the sweep's day (the latest milestone only changes
  on a rung's day), or the next post-course check-in stage to start, whichever comes first, as
  the first moment of that day in Asia/Almaty (in UTC: the sweep's day is the send moment's);
* the end of a snooze, when the teacher is snoozed (the latest rung then goes out);
* NULL (never, until something changes) when the teacher stopped reminders, cannot be reached
  or has no course.

``next_at`` is only a lower bound: looking at a teacher too early costs a little and sends
nothing (the outbox's dedupe keys decide, as before); looking too late is what must not happen.
Database triggers (migration 0011) set ``next_at`` to the epoch — look now — whenever a
teacher's courses, reminder choices, reachability or memberships change, whoever writes them.
The times depend on settings (the ladder, the period, the check-in months): they are stored
with a *basis* fingerprint, and a sweep that finds another basis makes every teacher due again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import FromClause

from backend.courses.checkins import GRACE_DAYS, months_before
from backend.courses.cycle import due_date_in_calendar, ladder_days
from backend.db import upsert_insert
from backend.models import CourseRecord, ReminderPreference, ReminderSchedule, SweepState, User
from backend.models.types import UTCDateTime

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # "look now": what the triggers write
BASIS_STATE = "schedule_basis"


@dataclass(frozen=True)
class Ladder:
    """What the schedule's times depend on besides the data."""

    period_years: int
    reminder_days: tuple[int, ...]
    overdue_every_days: int
    checkin_months: tuple[int, ...]

    def basis(self, tz: ZoneInfo) -> str:
        facts = [
            self.period_years,
            sorted(self.reminder_days),
            self.overdue_every_days,
            sorted(self.checkin_months),
            GRACE_DAYS,
            str(tz),
        ]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]


def next_rung_day(due: dt.date, day: dt.date, ladder: Ladder) -> dt.date:
    """The first day after ``day`` on which a rung of the ladder of ``due`` falls."""
    ahead = [
        due - dt.timedelta(days=days)
        for days in ladder_days(ladder.reminder_days)
        if due - dt.timedelta(days=days) > day
    ]
    if ahead:
        return min(ahead)
    every = max(ladder.overdue_every_days, 1)
    steps = max(1, (day - due).days // every + 1)
    return due + dt.timedelta(days=steps * every)


@functools.lru_cache(maxsize=1 << 16)
def stage_start(completed_on: dt.date, months: int) -> dt.date:
    """The first day a course is in its ``months`` check-in stage: the first day ``d`` with
    ``months_before(d, months) >= completed_on`` (``checkins.stage_ranges``' own bound)."""
    index = completed_on.year * 12 + completed_on.month - 1 + months
    year, month = divmod(index, 12)
    day = completed_on
    for candidate_day in (31, 30, 29, 28):
        try:
            day = dt.date(year, month + 1, min(completed_on.day, candidate_day))
            break
        except ValueError:
            continue
    while months_before(day, months) < completed_on:
        day += dt.timedelta(days=1)
    while months_before(day - dt.timedelta(days=1), months) >= completed_on:
        day -= dt.timedelta(days=1)
    return day


def next_checkin_day(courses: Iterable[dt.date], day: dt.date, ladder: Ladder) -> dt.date | None:
    """The first day after ``day`` on which a course of the teacher enters a check-in stage."""
    starts = [
        start
        for completed_on in courses
        for months in ladder.checkin_months
        if (start := stage_start(completed_on, months)) > day
    ]
    return min(starts, default=None)


@functools.lru_cache(maxsize=1 << 16)
def next_look_day(courses: tuple[dt.date, ...], day: dt.date, ladder: Ladder) -> dt.date | None:
    """The first day after ``day`` on which something may fall due for a teacher whose courses
    were completed on ``courses`` (the ladder of the latest one, the check-ins of each).

    Cached: most teachers of a batch share their course dates with others."""
    if not courses:
        return None
    days: list[dt.date] = []
    try:
        due = due_date_in_calendar(max(courses), ladder.period_years)
        if due is not None:
            days.append(next_rung_day(due, day, ladder))
        checkin = next_checkin_day(courses, day, ladder)
        if checkin is not None:
            days.append(checkin)
    except OverflowError:  # a course dated near 31.12.9999: nothing this side of it
        pass
    return min(days, default=None)


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The first moment of ``day`` in ``tz``, in UTC: the sweep's day is at or after ``day``
    exactly when its send moment is at or after this."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


async def ensure_basis(connection: AsyncConnection, basis: str) -> bool:
    """When the stored times were computed on another basis (the settings changed), make every
    teacher due at once; returns True when the basis changed."""
    state = SweepState.__table__.c  # type: ignore[attr-defined]
    stored = await connection.scalar(select(state.value).where(state.name == BASIS_STATE))
    if stored == basis:
        return False
    if stored is not None:
        # (None: no sweep ever stored a time, every row is still "look now")
        schedule = ReminderSchedule.__table__  # type: ignore[attr-defined]
        await connection.execute(
            update(schedule)
            .where(or_(schedule.c.next_at.is_(None), schedule.c.next_at > EPOCH))
            .values(next_at=EPOCH)
        )
    statement = upsert_insert(connection, SweepState.__table__).values(  # type: ignore[attr-defined]
        name=BASIS_STATE, value=basis
    )
    await connection.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"value": basis})
    )
    return True


async def due_teachers(
    connection: AsyncConnection, send_at: dt.datetime, limit: int | None
) -> list[int]:
    """The teachers to look at now, earliest first: an index range scan, however many exist."""
    schedule = ReminderSchedule.__table__.c  # type: ignore[attr-defined]
    query = (
        select(schedule.user_id)
        .where(schedule.next_at <= bindparam("send_at", send_at, type_=UTCDateTime()))
        .order_by(schedule.next_at)  # the index's order: the scan stops after ``limit`` rows
    )
    if limit is not None:
        query = query.limit(limit)
    if connection.dialect.name == "postgresql":
        # Locked until the sweep commits: a course added meanwhile (its trigger resets the row)
        # waits, and its "look now" lands after the sweep's next moment instead of under it.
        # (SQLite has one writer at a time: a concurrent write fails rather than interleaves.)
        query = query.with_for_update()
    return list((await connection.execute(query)).scalars())


SQLITE_TEACHERS = table("sweep_teachers", column("user_id", Integer))


async def teacher_set(connection: AsyncConnection, user_ids: Sequence[int]) -> FromClause:
    """``user_ids`` as a selectable with one column ``user_id``: an array on PostgreSQL, a
    temporary table of this connection on SQLite."""
    if connection.dialect.name == "postgresql":
        return (
            func.unnest(bindparam("sweep_teachers", list(user_ids), type_=ARRAY(Integer)))
            .table_valued(column("user_id", Integer))
            .render_derived(name="sweep_teachers")
        )
    await connection.execute(text("DROP TABLE IF EXISTS temp.sweep_teachers"))
    await connection.execute(
        text("CREATE TEMP TABLE sweep_teachers (user_id INTEGER PRIMARY KEY)")
    )
    if user_ids:
        await connection.execute(
            SQLITE_TEACHERS.insert(), [{"user_id": user_id} for user_id in user_ids]
        )
    return SQLITE_TEACHERS


async def reschedule(
    connection: AsyncConnection,
    teachers: FromClause,
    *,
    day: dt.date,
    send_at: dt.datetime,
    ladder: Ladder,
    tz: ZoneInfo,
) -> int:
    """Store the next moment of every teacher of ``teachers`` (just swept for ``day``)."""
    user = User.__table__.c  # type: ignore[attr-defined]
    preference = ReminderPreference.__table__  # type: ignore[attr-defined]
    course = CourseRecord.__table__  # type: ignore[attr-defined]
    rows = await connection.execute(
        select(
            teachers.c.user_id,
            user.unreachable_at,
            preference.c.stopped,
            preference.c.snoozed_until,
            course.c.completed_on,
        )
        .select_from(teachers)
        .join(User.__table__, user.id == teachers.c.user_id)  # type: ignore[attr-defined]
        .outerjoin(preference, preference.c.user_id == teachers.c.user_id)
        .outerjoin(course, course.c.user_id == teachers.c.user_id)
    )
    found: dict[int, tuple[bool, dt.datetime | None, list[dt.date]]] = {}
    for user_id, unreachable_at, stopped, snoozed_until, completed_on in rows:
        paused, until, courses = found.setdefault(
            user_id, (unreachable_at is not None or bool(stopped), snoozed_until, [])
        )
        if completed_on is not None:
            courses.append(completed_on)
    updates: list[tuple[int, dt.datetime | None]] = []
    for user_id, (paused, until, courses) in found.items():
        if paused or not courses:
            updates.append((user_id, None))  # the triggers bring the teacher back on a change
        elif until is not None and until > send_at:
            # snoozed: nothing went out; the latest rung reached is due when the snooze ends
            updates.append((user_id, until))
        else:
            look = next_look_day(tuple(sorted(courses)), day, ladder)
            updates.append((user_id, None if look is None else day_start(look, tz)))
    await _store(connection, updates)
    return len(updates)


async def _store(
    connection: AsyncConnection, updates: Sequence[tuple[int, dt.datetime | None]]
) -> None:
    if not updates:
        return
    schedule = ReminderSchedule.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "postgresql":
        values = (
            func.unnest(
                bindparam("ids", [user_id for user_id, _ in updates], type_=ARRAY(Integer)),
                bindparam("ats", [at for _, at in updates], type_=ARRAY(DateTime(timezone=True))),
            )
            .table_valued(column("user_id", Integer), column("next_at", DateTime(timezone=True)))
            .render_derived(name="next_values")
        )
        await connection.execute(
            update(schedule)
            .where(schedule.c.user_id == values.c.user_id)
            .values(next_at=values.c.next_at)
        )
        return
    await connection.execute(
        update(schedule)
        .where(schedule.c.user_id == bindparam("b_user_id"))
        .values(next_at=bindparam("b_next_at")),
        [{"b_user_id": user_id, "b_next_at": at} for user_id, at in updates],
    )
