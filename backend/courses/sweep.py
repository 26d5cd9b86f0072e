"""The reminder sweep: due course milestones into the notification outbox, each at most once.

A sweep costs what is due, not what exists: ``reminder_schedule`` (``backend.courses.schedule``)
holds, per teacher, the moment the sweep next has to look at them, behind an index. Each sweep
takes the teachers whose moment has come (at most ``limit``, earliest first), enqueues what is
due for them with the set-based statements below, and stores their next moment. With nothing
due, a sweep is a few index probes whatever the number of teachers.

For the teachers taken, one statement does the course reminders:

* a *plan* is computed in Python for every possible latest-completion date (about 365 a year
  since the earliest course of those teachers): its due date, the latest milestone reached and
  the message. Python stays the single source of the calendar rules (29 February, the ladder)
  on both databases;
* SQL joins those teachers' courses to the plan on their date, keeps each teacher's latest
  course, drops teachers who stopped, snoozed or cannot be reached and rows already in the
  outbox (an index probe), and inserts the rest with ``ON CONFLICT (dedupe_key) DO NOTHING``
  as the final guarantee.

The dedupe key is ``course:<user>:<due date>:<milestone>``: a milestone of a cycle is enqueued
at most once whatever happens, and correcting a course date (a new due date) starts a new cycle
of keys. Only the *latest* milestone reached is ever inserted, so after downtime one message
goes out instead of a burst (the schedule's moments are in the past then: the teachers are
taken at the next sweep), and since the latest milestone only moves forward in time, an older
one skipped that way can never be inserted by a later sweep. The outbox row stays the memory of
what was sent: whenever a teacher is looked at again before the next rung (a trigger fired:
a course, a choice, a membership changed), the dedupe key is what keeps the rung from going out
twice, hence the retention horizon of ``backend.delivery.retention``.

Testing-window reminders go to every teacher: the first sweep on which a window's phase is due
does one pass over all teachers (repeated until complete, ``limit`` rows at a time) and records
it in ``sweep_state``; later sweeps only look at the teachers taken from the schedule (a new
course, a snooze ended, a new membership…).

Everything is evaluated as of the moment the message will actually go out (``now``, or the end
of the quiet hours): at 21:30 the morning's milestone is enqueued for 09:00 tomorrow.

On PostgreSQL ``pg_try_advisory_xact_lock`` lets one backend process sweep at a time (the
others return 0 at once); the unique key covers the rest.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, FromClause

from backend.calendars.windows import DueReminder, due_reminder, reminder_dedupe_key
from backend.courses.checkins import checkin_months, enqueue_checkins
from backend.courses.cycle import due_date, ladder_days, latest_offset, milestone_id
from backend.courses.messages import COURSE_KIND, TESTING_KIND, course_payload, testing_payload
from backend.courses.quiet import next_send_moment
from backend.courses.schedule import Ladder, due_teachers, ensure_basis, reschedule, teacher_set
from backend.db import SessionPool
from backend.delivery.enqueue import PERSONAL_COLUMNS, enqueue_from_select
from backend.models import (
    CalendarEvent,
    CourseRecord,
    Membership,
    Notification,
    Organisation,
    ReminderPreference,
    SweepState,
    User,
)
from backend.models.types import UTCDateTime
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.umo.reminders import enqueue_umo_duties

log = logging.getLogger(__name__)

# Any constant works as long as every backend process uses the same one ("SNAT" in ASCII).
SWEEP_LOCK_KEY = 0x534E4154
SWEEP_WORK_MEM = "256MB"
# Teachers (and testing-window rows) per sweep at most; see ``sweep``. 10 000 teachers a
# minute keep a backlog sweep well under 5 s on a small machine (bench/sweep.py) and still
# enqueue far faster than the delivery worker sends (about 30 messages a second).
SWEEP_BATCH = 10_000


@dataclass(frozen=True)
class PlanRow:
    """What a teacher whose latest course was completed on ``last_on`` gets today."""

    last_on: dt.date
    due: dt.date
    milestone: str
    key_suffix: str  # ":<due>:<milestone>", appended to "course:<user id>"
    payload: str  # JSON


@functools.lru_cache(maxsize=8)
def build_plan(
    earliest: dt.date,
    day: dt.date,
    *,
    period_years: int,
    reminder_days: tuple[int, ...],
    overdue_every_days: int,
    act: str,
) -> tuple[PlanRow, ...]:
    """One row per completion date from ``earliest`` to ``day`` that has a milestone on ``day``.

    Cached: every sweep of a day asks for the same plan.
    """
    top = max(ladder_days(reminder_days), default=-1)
    rows: list[PlanRow] = []
    last_on = earliest
    while last_on <= day:
        due = due_date(last_on, period_years)
        days_left = (due - day).days
        if days_left > top:
            break  # later completions are due later still: nothing reached yet
        offset = latest_offset(days_left, reminder_days, overdue_every_days)
        if offset is not None:
            milestone = milestone_id(offset)
            payload = course_payload(due, days_left, milestone, period_years, act)
            rows.append(
                PlanRow(
                    last_on=last_on,
                    due=due,
                    milestone=milestone,
                    key_suffix=f":{due.isoformat()}:{milestone}",
                    payload=json.dumps(payload, ensure_ascii=False),
                )
            )
        last_on += dt.timedelta(days=1)
    return tuple(rows)


def _pg_plan(rows: Sequence[PlanRow]) -> FromClause:
    """The plan as ``unnest`` of parallel arrays: one round trip, no temporary table."""
    return (
        func.unnest(
            bindparam("plan_last_on", [row.last_on for row in rows], type_=ARRAY(Date)),
            bindparam("plan_suffix", [row.key_suffix for row in rows], type_=ARRAY(Text)),
            # cast once per plan row (a few hundred), not once per inserted row (up to 10^6)
            cast(
                bindparam("plan_payload", [row.payload for row in rows], type_=ARRAY(Text)),
                ARRAY(JSONB),
            ),
        )
        .table_valued(
            column("last_on", Date), column("key_suffix", Text), column("payload", JSONB)
        )
        .render_derived(name="plan")
    )


SQLITE_PLAN = table(
    "course_sweep_plan",
    column("last_on", Date),
    column("key_suffix", Text),
    column("payload", Text),
)


async def _sqlite_plan(connection: AsyncConnection, rows: Sequence[PlanRow]) -> FromClause:
    """SQLite has no arrays: the plan goes into a temporary table of this connection."""
    await connection.execute(text("DROP TABLE IF EXISTS temp.course_sweep_plan"))
    await connection.execute(
        text(
            "CREATE TEMP TABLE course_sweep_plan "
            "(last_on DATE PRIMARY KEY, key_suffix TEXT NOT NULL, payload TEXT NOT NULL)"
        )
    )
    if rows:
        await connection.execute(
            SQLITE_PLAN.insert(),
            [
                {"last_on": row.last_on, "key_suffix": row.key_suffix, "payload": row.payload}
                for row in rows
            ],
        )
    return SQLITE_PLAN


def _reachable(send_at: dt.datetime) -> ColumnElement[bool]:
    """Not unreachable (blocked the bot), not stopped, not snoozed past the send time."""
    preference = ReminderPreference.__table__.c  # type: ignore[attr-defined]
    return and_(
        User.__table__.c.unreachable_at.is_(None),  # type: ignore[attr-defined]
        or_(
            preference.user_id.is_(None),
            and_(
                preference.stopped.is_(false()),
                or_(
                    preference.snoozed_until.is_(None),
                    preference.snoozed_until <= literal(send_at, UTCDateTime()),
                ),
            ),
        ),
    )


async def _insert(connection: AsyncConnection, query: Any, limit: int | None) -> int:
    """Put the rows of ``query`` (at most ``limit``) into the outbox; a key already there is
    skipped. Returns how many rows went in."""
    if limit is not None:
        query = query.limit(limit)
    return await enqueue_from_select(connection, query, columns=PERSONAL_COLUMNS)


async def _enqueue_courses(
    connection: AsyncConnection,
    plan_rows: Sequence[PlanRow],
    teachers: FromClause,
    *,
    send_at: dt.datetime,
    now: dt.datetime,
) -> int:
    dialect = connection.dialect.name
    if not plan_rows:
        return 0
    if dialect == "postgresql":
        plan = _pg_plan(plan_rows)
    else:
        plan = await _sqlite_plan(connection, plan_rows)
    records = CourseRecord.__table__  # type: ignore[attr-defined]
    course, newer = records.alias("course"), records.alias("newer")
    user = User.__table__.c  # type: ignore[attr-defined]
    preference = ReminderPreference.__table__  # type: ignore[attr-defined]
    outbox = Notification.__table__.c  # type: ignore[attr-defined]
    key = literal("course:", String()) + cast(course.c.user_id, String()) + plan.c.key_suffix
    # Courses joined to the plan on their date, kept when no later course of the same teacher
    # exists (cheaper than grouping every teacher's courses), and not enqueued already: the
    # NOT EXISTS probes the dedupe index, so rows already in the outbox are never built.
    query = (
        select(
            user.id,
            user.telegram_id,
            literal(COURSE_KIND, String()),
            key,
            plan.c.payload,
            literal("pending", String()),
            literal(0, Integer()),
            literal(send_at, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .select_from(course)
        .join(plan, plan.c.last_on == course.c.completed_on)
        .join(User.__table__, user.id == course.c.user_id)  # type: ignore[attr-defined]
        .outerjoin(preference, preference.c.user_id == user.id)
        .where(
            course.c.user_id.in_(select(teachers.c.user_id)),
            _reachable(send_at),
            ~exists().where(
                newer.c.user_id == course.c.user_id,
                or_(
                    newer.c.completed_on > course.c.completed_on,
                    # two courses on the same day: the higher id stands for the teacher
                    and_(newer.c.completed_on == course.c.completed_on, newer.c.id > course.c.id),
                ),
            ),
            ~exists().where(outbox.dedupe_key == key),
        )
    )
    return await _insert(connection, query, None)


async def _audience_windows(
    connection: AsyncConnection, day: dt.date
) -> dict[str | None, list[CalendarEvent]]:
    """The testing windows not over before ``day``, by audience (None: every teacher)."""
    events = CalendarEvent.__table__.c  # type: ignore[attr-defined]
    rows = await connection.execute(
        select(events.id, events.starts_on, events.ends_on, events.legal_basis, events.audience)
        .where(events.kind == "testing", events.ends_on >= day)
        .order_by(events.starts_on)
    )
    grouped: dict[str | None, list[CalendarEvent]] = {}
    for row in rows:
        event = CalendarEvent(
            id=row.id,
            kind="testing",
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            legal_basis=row.legal_basis,
            audience=row.audience,
        )
        grouped.setdefault(row.audience, []).append(event)
    return grouped


def _testing_pass_name(audience: str | None, due: DueReminder) -> str:
    window = due.window
    assert isinstance(window, CalendarEvent)
    return f"testing:{audience or '*'}:{window.id}:{window.starts_on.isoformat()}:{due.phase}"


async def _enqueue_testing(
    connection: AsyncConnection,
    *,
    day: dt.date,
    send_at: dt.datetime,
    now: dt.datetime,
    teachers: FromClause | None,
    limit: int | None,
) -> int:
    """Reminders before a testing window opens and before it closes (calendar rows), each at
    most once per teacher, window and phase; an audience narrows it to one organisation kind.

    ``teachers`` given: only those (taken from the schedule). None: the one pass over every
    teacher for each due phase not recorded as complete in ``sweep_state``.
    """
    state = SweepState.__table__  # type: ignore[attr-defined]
    inserted = 0
    for audience, windows in (await _audience_windows(connection, day)).items():
        due = due_reminder(windows, day)
        if due is None:
            continue
        left = None if limit is None else limit - inserted
        if left is not None and left <= 0:
            break
        if teachers is not None:
            inserted += await _enqueue_window(
                connection, due, audience, teachers, send_at=send_at, now=now, limit=left
            )
            continue
        name = _testing_pass_name(audience, due)
        if await connection.scalar(select(state.c.name).where(state.c.name == name)):
            continue
        if connection.dialect.name == "postgresql":
            # A pass over every teacher: the joins fit in memory instead of spilling to disk,
            # and hash joins, not nested loops (on a small or empty outbox the planner would
            # probe it with a sequential scan per teacher while this statement fills it).
            await connection.execute(text(f"SET LOCAL work_mem = '{SWEEP_WORK_MEM}'"))
            await connection.execute(text("SET LOCAL enable_nestloop = off"))
        count = await _enqueue_window(
            connection, due, audience, None, send_at=send_at, now=now, limit=left
        )
        inserted += count
        if left is None or count < left:  # every teacher had their chance: done
            await connection.execute(state.insert().values(name=name, value=now.isoformat()))
    return inserted


async def _enqueue_window(
    connection: AsyncConnection,
    due: DueReminder,
    audience: str | None,
    teachers: FromClause | None,
    *,
    send_at: dt.datetime,
    now: dt.datetime,
    limit: int | None,
) -> int:
    window = due.window
    assert isinstance(window, CalendarEvent)
    dialect = connection.dialect.name
    payload = json.dumps(
        testing_payload(
            window.starts_on, window.ends_on, due.days_left, window.legal_basis, phase=due.phase
        ),
        ensure_ascii=False,
    )
    course = CourseRecord.__table__.c  # type: ignore[attr-defined]
    user = User.__table__.c  # type: ignore[attr-defined]
    preference = ReminderPreference.__table__  # type: ignore[attr-defined]
    teachers = select(course.user_id).distinct().subquery("teachers")
    outbox = Notification.__table__.c  # type: ignore[attr-defined]
    # the SQL spelling of reminder_dedupe_key(user id, "testing", window, phase)
    sample = reminder_dedupe_key(0, "testing", window, due.phase)
    prefix, _, suffix = sample.partition(":0:")
    key = (
        literal(f"{prefix}:", String()) + cast(user.id, String()) + literal(f":{suffix}", String())
    )
    conditions = [_reachable(send_at), ~exists().where(outbox.dedupe_key == key)]
    if teachers is not None:
        conditions.append(user.id.in_(select(teachers.c.user_id)))
    if audience is not None:
        member = Membership.__table__.c  # type: ignore[attr-defined]
        organisation = Organisation.__table__.c  # type: ignore[attr-defined]
        conditions.append(
            exists().where(
                member.user_id == user.id,
                member.organisation_id == organisation.id,
                organisation.kind == audience,
            )
        )
    query = (
        select(
            user.id,
            user.telegram_id,
            literal(TESTING_KIND, String()),
            key,
            cast(literal(payload, Text()), JSONB)
            if dialect == "postgresql"
            else literal(payload, Text()),
            literal("pending", String()),
            literal(0, Integer()),
            literal(send_at, UTCDateTime()),
            literal(now, UTCDateTime()),
        )
        .select_from(teachers)
        .join(User.__table__, user.id == teachers.c.user_id)  # type: ignore[attr-defined]
        .outerjoin(preference, preference.c.user_id == user.id)
        .where(*conditions)
    )
    return await _insert(connection, query, limit)


async def sweep(
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    now: dt.datetime,
    *,
    limit: int | None = SWEEP_BATCH,
) -> int:
    """Enqueue due reminders; returns how many rows were inserted.

    ``limit`` bounds the teachers taken from the schedule (and the rows of a testing-window
    pass over everyone) per call: it keeps each sweep short when very many teachers fall due at
    once (a freshly imported region, the first sweeps after migration 0011, a changed ladder):
    the next sweeps, a minute apart, take the rest, long before the delivery worker (tens of
    messages a second) would have reached them.
    """
    delivery = settings.delivery
    send_at = next_send_moment(now, settings.tz, delivery.quiet_start, delivery.quiet_end)
    day = send_at.astimezone(settings.tz).date()  # the ladder as of the send moment
    refresher = ruleset.meta.refresher
    ladder = Ladder(
        period_years=refresher.period_years,
        reminder_days=tuple(delivery.reminder_days),
        overdue_every_days=delivery.overdue_every_days,
        checkin_months=tuple(checkin_months()),
    )
    async with session_pool() as session, session.begin():
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            locked = await connection.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY}
            )
            if not locked:
                log.info("course sweep skipped: another process is sweeping")
                return 0
        # UMO secretaries' yearly duties (Order 400) need no course: they come first
        inserted = await enqueue_umo_duties(connection, day=day, send_at=send_at, now=now)
        if await ensure_basis(connection, ladder.basis(settings.tz)):
            log.info("reminder schedule basis changed: every teacher is looked at again")
        user_ids = await due_teachers(connection, send_at, limit)
        if user_ids:
            inserted += await _sweep_teachers(
                connection,
                user_ids,
                ruleset=ruleset,
                settings=settings,
                ladder=ladder,
                day=day,
                send_at=send_at,
                now=now,
            )
        left = None if limit is None else limit - inserted
        if left is None or left > 0:
            inserted += await _enqueue_testing(
                connection, day=day, send_at=send_at, now=now, teachers=None, limit=left
            )

    if inserted:
        log.info("course reminders enqueued", extra={"count": inserted})
    return inserted


async def _sweep_teachers(
    connection: AsyncConnection,
    user_ids: Sequence[int],
    *,
    ruleset: Ruleset,
    settings: Settings,
    ladder: Ladder,
    day: dt.date,
    send_at: dt.datetime,
    now: dt.datetime,
) -> int:
    """Everything due for these teachers (taken from the schedule), then their next moment."""
    teachers = await teacher_set(connection, user_ids)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # A batch of teachers is a few thousand index probes (their courses, their user row,
        # their outbox keys), never a pass over a whole table. The penalty on sequential scans
        # keeps the planner from one when its statistics are stale: an outbox filled since the
        # last ANALYZE, probed with a scan per teacher, would turn quadratic (98 s instead of
        # 3 s for 50 000 rows once in bench/sweep.py).
        await connection.execute(text("SET LOCAL enable_seqscan = off"))
    course = CourseRecord.__table__.c  # type: ignore[attr-defined]
    earliest = await connection.scalar(
        select(func.min(course.completed_on)).where(course.user_id.in_(select(teachers.c.user_id)))
    )
    inserted = 0
    if earliest is not None:
        refresher = ruleset.meta.refresher
        plan_rows = build_plan(
            earliest,
            day,
            period_years=refresher.period_years,
            reminder_days=ladder.reminder_days,
            overdue_every_days=ladder.overdue_every_days,
            act=refresher.citation.act,
        )
        inserted += await _enqueue_courses(
            connection, plan_rows, teachers, send_at=send_at, now=now
        )
        inserted += await _enqueue_testing(
            connection, day=day, send_at=send_at, now=now, teachers=teachers, limit=None
        )
        inserted += await enqueue_checkins(
            connection,
            day=day,
            send_at=send_at,
            now=now,
            reachable=_reachable(send_at),
            teachers=teachers,
            limit=None,
        )
    await reschedule(connection, teachers, day=day, send_at=send_at, ladder=ladder, tz=settings.tz)
    return inserted
