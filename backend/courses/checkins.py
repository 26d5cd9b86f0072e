"""Post-course support (Order 266 para 31, 001_2a0aee6cb2e2fd2b.txt lines 119-129; seed 003
lines 1976-1977): check-ins 1, 3 and 6 months after a certificate asking whether the teacher
applied what they learned and whether they want methodological support.

The months are data (``programmes.yaml``, marked as an assumption: the order sets no schedule).
Sending goes through the outbox like every reminder, as of the send moment after quiet hours,
to teachers who have not stopped or snoozed reminders. Each course gets each check-in at most
once: the dedupe key is ``checkin:<course id>:<months>``. A course is in exactly one stage on a
given day (its stage runs until the next one starts; the last one for ``GRACE_DAYS``), so a
restart or downtime sends the current check-in once and never a burst of old ones.

Answers are stored per course and stage; staff see only counts per organisation, withheld below
``MIN_GROUP`` respondents so that no single answer can be told apart.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import String, cast, exists, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses.programmes import load_programmes
from backend.db import upsert_insert
from backend.delivery.enqueue import enqueue
from backend.i18n import N_, msg, msg_plural
from backend.models import (
    CourseCheckin,
    CourseRecord,
    Membership,
    Notification,
    ReminderPreference,
    User,
)
from backend.models.types import utcnow

CHECKIN_KIND: Final = "course_checkin"
GRACE_DAYS: Final = 30  # the last check-in is still sent this long after its day (downtime)
MIN_GROUP: Final = 3  # fewer respondents than this: counts are withheld
APPLIED: Final = ("yes", "partly", "no")


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months (31 March − 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def checkin_months() -> tuple[int, ...]:
    return load_programmes().post_course_support.checkin_months


def stage_ranges(day: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """(months, earliest, latest) completion dates whose check-in stage is ``months`` on ``day``;
    the ranges do not overlap, so a course is in at most one stage."""
    stages = sorted(checkin_months())
    ranges = []
    for index, months in enumerate(stages):
        latest = months_before(day, months)
        if index + 1 < len(stages):
            earliest = months_before(day, stages[index + 1]) + dt.timedelta(days=1)
        else:
            earliest = latest - dt.timedelta(days=GRACE_DAYS - 1)
        ranges.append((months, earliest, latest))
    return ranges


def checkin_dedupe_key(course_id: int, months: int) -> str:
    return f"checkin:{course_id}:{months}"


def _button(label: str, data: str) -> dict[str, Any]:
    """An inline button named by a message key (``label`` is a msgid)."""
    return {**msg(label), "callback_data": data}


def applied_buttons(course_id: int, months: int) -> list[list[dict[str, Any]]]:
    """``ci:<course>:<months>:a:<answer>`` (bot.handlers.checkins.callbacks.CheckinCallback)."""
    base = f"ci:{course_id}:{months}:a"
    return [
        [
            _button(N_("✅ Yes"), f"{base}:yes"),
            _button(N_("〰 Partly"), f"{base}:partly"),
            _button(N_("❌ No"), f"{base}:no"),
        ]
    ]


@functools.lru_cache(maxsize=16)
def _question(months: int) -> dict[str, Any]:
    return checkin_payload(months)


def checkin_payload(months: int) -> dict[str, Any]:
    """The first question as message keys; ``_payload_for`` adds the course's buttons."""
    return {
        **msg_plural(
            "🎓 Post-course support: {months} month has passed since your certificate.\n"
            "Have you applied at work what you learned on the course?\n"
            "Source: order No. 266 of the Ministry of Education and Science of 12.06.2018, "
            "paragraph 31.",
            "🎓 Post-course support: {months} months have passed since your certificate.\n"
            "Have you applied at work what you learned on the course?\n"
            "Source: order No. 266 of the Ministry of Education and Science of 12.06.2018, "
            "paragraph 31.",
            months,
            months=months,
        ),
        "months": months,
    }


def _payload_for(course_id: int, months: int) -> dict[str, Any]:
    payload = {**_question(months), "buttons": applied_buttons(course_id, months)}
    payload["course_id"] = course_id
    return payload


async def enqueue_checkins(
    connection: AsyncConnection,
    *,
    day: dt.date,
    send_at: dt.datetime,
    now: dt.datetime,
    reachable: Any,
    teachers: Any = None,
    limit: int | None,
) -> int:
    """Put the due check-ins into the outbox (``reachable``: the sweep's opt-out condition;
    ``teachers``: a selectable of the user ids to look at, None for everyone)."""
    course = CourseRecord.__table__.c  # type: ignore[attr-defined]
    user = User.__table__.c  # type: ignore[attr-defined]
    preference = ReminderPreference.__table__  # type: ignore[attr-defined]
    outbox = Notification.__table__.c  # type: ignore[attr-defined]
    inserted = 0
    for months, earliest, latest in stage_ranges(day):
        left = None if limit is None else limit - inserted
        if left is not None and left <= 0:
            break
        candidates = await connection.execute(
            select(course.id, user.id, user.telegram_id)
            .select_from(CourseRecord.__table__)  # type: ignore[attr-defined]
            .join(User.__table__, user.id == course.user_id)  # type: ignore[attr-defined]
            .outerjoin(preference, preference.c.user_id == user.id)
            .where(
                course.completed_on >= earliest,
                course.completed_on <= latest,
                true() if teachers is None else course.user_id.in_(select(teachers.c.user_id)),
                reachable,
                ~exists().where(
                    outbox.dedupe_key
                    == literal("checkin:", String())
                    + cast(course.id, String())
                    + literal(f":{months}", String())
                ),
            )
            .order_by(course.id)
            .limit(left)
        )
        # one row each (the buttons name the course), inserted in chunks: no statement per row
        rows = [
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "kind": CHECKIN_KIND,
                "dedupe_key": checkin_dedupe_key(course_id, months),
                "payload": _payload_for(course_id, months),
                "next_attempt_at": send_at,
                "created_at": now,
            }
            for course_id, user_id, chat_id in candidates
        ]
        inserted += await enqueue(connection, rows, now=now)
    return inserted


class CheckinNotFoundError(LookupError):
    """No such course of this user (a button of someone else's message is not found either)."""


async def record_answer(
    *,
    session: AsyncSession,
    user_id: int,
    course_id: int,
    months: int,
    applied: str | None = None,
    wants_support: bool | None = None,
) -> CourseCheckin:
    """Store one answer (the latest tap wins); the course must be the user's own."""
    course = await session.get(CourseRecord, course_id)
    if course is None or course.user_id != user_id or months not in checkin_months():
        raise CheckinNotFoundError(course_id)
    if applied is not None and applied not in APPLIED:
        raise ValueError(applied)
    values: dict[str, Any] = {
        "course_id": course_id,
        "user_id": user_id,
        "months": months,
        "answered_at": utcnow(),
    }
    changed = {"answered_at": values["answered_at"]}
    if applied is not None:
        values["applied"] = changed["applied"] = applied
    if wants_support is not None:
        values["wants_support"] = changed["wants_support"] = wants_support
    connection = await session.connection()
    table = CourseCheckin.__table__  # type: ignore[attr-defined]
    statement = upsert_insert(connection, table).values(**values)
    await session.exec(
        statement.on_conflict_do_update(index_elements=["course_id", "months"], set_=changed)
    )
    await session.commit()
    found = (
        await session.exec(
            sm_select(CourseCheckin).where(
                CourseCheckin.course_id == course_id, CourseCheckin.months == months
            )
        )
    ).one()
    await session.refresh(found)
    return found


@dataclass(frozen=True)
class CheckinCounts:
    """Anonymised: how many staff answered, and how; ``None`` counts when too few answered."""

    respondents: int
    applied: dict[str, int] | None
    wants_support: int | None
    withheld: bool


async def organisation_counts(*, session: AsyncSession, organisation_id: int) -> CheckinCounts:
    """Counts of the latest answer per staff member of the organisation (any course, stage)."""
    members = sm_select(Membership.user_id).where(Membership.organisation_id == organisation_id)
    rows = (
        await session.exec(
            sm_select(CourseCheckin)
            .where(col(CourseCheckin.user_id).in_(members))
            .order_by(col(CourseCheckin.answered_at), col(CourseCheckin.id))
        )
    ).all()
    latest: dict[int, CourseCheckin] = {}
    for row in rows:
        latest[row.user_id] = row  # ordered by time: the last one stays
    respondents = len(latest)
    if respondents < MIN_GROUP:
        return CheckinCounts(respondents, None, None, withheld=respondents > 0)
    applied = dict.fromkeys(APPLIED, 0)
    for row in latest.values():
        if row.applied in applied:
            applied[row.applied] += 1
    support = sum(1 for row in latest.values() if row.wants_support)
    return CheckinCounts(respondents, applied, support, withheld=False)
