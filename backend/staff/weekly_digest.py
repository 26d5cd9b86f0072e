"""The weekly digest from the database: who is overdue or due soon, and its outbox rows.

Texts, tables and file names live in ``backend.staff.digest`` (no database access there).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses.checkins import organisation_counts
from backend.courses.cycle import due_date_in_calendar
from backend.courses.quiet import next_send_moment
from backend.db import SessionPool
from backend.delivery.enqueue import enqueue
from backend.exports import to_csv, to_xlsx
from backend.models import CourseRecord, Membership, User
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.staff.digest import (
    Digest,
    DigestRow,
    digest_caption,
    digest_filename,
    digest_payload,
    digest_table,
)
from backend.staff.digest_schedule import due_moment, schedules_of
from backend.staff.organisations import STAFF_ROLES, get_organisation, list_organisations
from backend.staff.roster_import import roster_entries

DUE_SOON_DAYS = 90
DIGEST_JOB_ID = "staff_weekly_digest"
DIGEST_KIND = "staff_digest"
DIGEST_FILE_KIND = "staff_digest_file"
DIGEST_TICK_MINUTES = 5  # how often the job looks for organisations whose moment has come
CATCH_UP = dt.timedelta(hours=1)  # after a restart: moments this recent still go out

log = logging.getLogger(__name__)


def _soonest_first(row: DigestRow) -> tuple[int, str]:
    return (row.days_left or 0, row.full_name)


async def digest(
    *, session: AsyncSession, organisation_id: int, today: dt.date, ruleset: Ruleset
) -> Digest:
    """Who is overdue and who is due within ``DUE_SOON_DAYS`` days, as of ``today``.

    A linked teacher's own course records count too: the later of the roster date and their
    latest recorded course is the one the due date follows.
    """
    organisation = await get_organisation(session=session, organisation_id=organisation_id)
    entries = await roster_entries(session=session, organisation_id=organisation_id)
    linked_ids = [entry.user_id for entry in entries if entry.user_id is not None]
    recorded: dict[int, dt.date] = {}
    if linked_ids:
        query = (
            select(CourseRecord.user_id, func.max(CourseRecord.completed_on))
            .where(col(CourseRecord.user_id).in_(linked_ids))
            .group_by(col(CourseRecord.user_id))
        )
        recorded = {user: last for user, last in (await session.exec(query)).all() if last}
    period = ruleset.meta.refresher.period_years
    overdue: list[DigestRow] = []
    due_soon: list[DigestRow] = []
    without_date: list[DigestRow] = []
    out_of_range: list[DigestRow] = []
    for entry in entries:
        dates = [entry.last_course_on, recorded.get(entry.user_id or -1)]
        known = [value for value in dates if value is not None]
        last = max(known) if known else None
        due = due_date_in_calendar(last, period) if last else None
        days_left = (due - today).days if due else None
        position = ruleset.positions.get(entry.position_id or "")
        names = (
            {"kk": position.name.kk, "ru": position.name.ru, "en": position.name.get("en")}
            if position
            else {}
        )
        row = DigestRow(
            full_name=entry.full_name,
            position=entry.position_id,
            position_name=names,
            last_course_on=last,
            due_on=due,
            days_left=days_left,
            linked=entry.user_id is not None,
        )
        if last is not None and due is None:
            out_of_range.append(row)
        elif days_left is None:
            without_date.append(row)
        elif days_left < 0:
            overdue.append(row)
        elif days_left <= DUE_SOON_DAYS:
            due_soon.append(row)
    return Digest(
        organisation_id=organisation_id,
        organisation_name=organisation.name,
        today=today,
        overdue=sorted(overdue, key=_soonest_first),
        due_soon=sorted(due_soon, key=_soonest_first),
        without_date=without_date,
        out_of_range=out_of_range,
        total=len(entries),
        checkins=await organisation_counts(session=session, organisation_id=organisation_id),
    )


def digest_files(report: Digest, language: str) -> tuple[bytes, bytes]:
    """The digest as (CSV, XLSX) bytes, formula-safe (``backend.exports``)."""
    header, rows = digest_table(report, language)
    return to_csv(header, rows), to_xlsx(header, rows, title="Sanat")


def week_key(now: dt.datetime, settings: Settings) -> str:
    """The local ISO week, e.g. "2026-W49": one digest per recipient per week."""
    year, week, _ = now.astimezone(settings.tz).isocalendar()
    return f"{year}-W{week:02d}"


async def _digest_recipients(session: AsyncSession, organisation_id: int) -> list[User]:
    """The organisation's heads, HR and methodists who have not blocked the bot."""
    query = (
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.organisation_id == organisation_id,
            col(Membership.role).in_(STAFF_ROLES),
            col(User.unreachable_at).is_(None),
        )
    )
    return list((await session.exec(query)).all())


def _outbox_rows(
    report: Digest, recipients: list[User], *, week: str, send_at: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    """Per recipient: the message (translated when sent) and the XLSX in their language."""
    message = digest_payload(report, DUE_SOON_DAYS)
    caption = digest_caption(report)
    rows: list[dict[str, Any]] = []
    for user in recipients:
        key = f"digest:{report.organisation_id}:{user.id}:{week}"
        _, xlsx = digest_files(report, user.language or "ru")
        common = {
            "user_id": user.id,
            "chat_id": user.telegram_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": send_at,  # not in the quiet hours
            "created_at": now,
        }
        rows.append({**common, "kind": DIGEST_KIND, "dedupe_key": key, "payload": message})
        document = {
            "filename": digest_filename(report, "xlsx"),
            "content_b64": base64.b64encode(xlsx).decode("ascii"),
        }
        rows.append(
            {
                **common,
                "kind": DIGEST_FILE_KIND,
                "dedupe_key": f"{key}:xlsx",
                "payload": {"document": document, **caption},
            }
        )
    return rows


async def enqueue_weekly_digests(
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    now: dt.datetime,
    *,
    since: dt.datetime | None = None,
) -> int:
    """Enqueue the weekly digest of every organisation whose moment is due; rows inserted.

    Each organisation has its own weekday and local time, or none (``digest_schedule``); the
    defaults are ``staff.digest_weekday`` / ``digest_time``. ``since``: the job's previous run
    (moments in ``(since, now]`` are due); without it every moment of this week that has passed.
    Two outbox rows per recipient: the message (dedupe ``digest:<org>:<user>:<week>``, the week
    of the moment) and the XLSX as a document (``…:<week>:xlsx``) — a document caption is
    limited to 1024 characters, too short for the lists. An organisation with an empty roster
    gets nothing; people who blocked the bot are skipped. Each organisation is its own
    transaction.
    """
    delivery = settings.delivery
    send_at = next_send_moment(now, settings.tz, delivery.quiet_start, delivery.quiet_end)
    today = now.astimezone(settings.tz).date()
    async with session_pool() as session:
        organisation_ids = [
            organisation.id
            for organisation in await list_organisations(session=session)
            if organisation.id is not None
        ]
        schedules = await schedules_of(
            session=session, organisation_ids=organisation_ids, defaults=settings.staff
        )
    inserted = failed = 0
    for organisation_id in organisation_ids:
        moment = due_moment(schedules[organisation_id], now=now, since=since, tz=settings.tz)
        if moment is None:
            continue
        week = week_key(moment, settings)
        try:
            inserted += await _enqueue_one(
                session_pool, ruleset, organisation_id, today=today, week=week, at=(send_at, now)
            )
        except Exception as exc:  # one bad organisation never stops the others
            failed += 1
            # Ids and the error's type only: its text may quote a stored name.
            log.error(
                "staff digest failed for an organisation",
                extra={"organisation_id": organisation_id, "error": type(exc).__name__},
            )
    if inserted or failed:
        log.info("staff digests enqueued", extra={"count": inserted, "failed": failed})
    return inserted


async def _enqueue_one(
    session_pool: SessionPool,
    ruleset: Ruleset,
    organisation_id: int,
    *,
    today: dt.date,
    week: str,
    at: tuple[dt.datetime, dt.datetime],
) -> int:
    """One organisation's digest rows, in its own transaction; rows inserted."""
    send_at, now = at
    async with session_pool() as session:
        recipients = await _digest_recipients(session, organisation_id)
        if not recipients:
            return 0
        report = await digest(
            session=session, organisation_id=organisation_id, today=today, ruleset=ruleset
        )
        if report.total == 0:
            return 0
        rows = _outbox_rows(report, recipients, week=week, send_at=send_at, now=now)
        inserted = await enqueue(session, rows, now=now)
        await session.commit()
        return inserted


def add_digest_job(
    scheduler: Any, session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    """Every ``DIGEST_TICK_MINUTES`` minutes (fixed id): the organisations whose weekday and
    local time fell since the previous run (``CATCH_UP`` back after a start) get their digest.
    """
    from apscheduler.triggers.cron import CronTrigger

    last_run: list[dt.datetime] = []

    async def run() -> None:
        now = utcnow()
        since = last_run[-1] if last_run else now - CATCH_UP
        await enqueue_weekly_digests(session_pool, settings, ruleset, now, since=since)
        last_run[:] = [now]

    trigger = CronTrigger(minute=f"*/{DIGEST_TICK_MINUTES}", timezone=settings.tz)
    scheduler.add_job(run, trigger, id=DIGEST_JOB_ID, replace_existing=True)
