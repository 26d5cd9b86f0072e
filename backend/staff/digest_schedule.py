"""When each organisation's weekly digest goes out: its own weekday and local time, or off.

An organisation without its own row follows ``SANAT_STAFF_DIGEST_WEEKDAY`` / ``_TIME``. The
scheduler's job runs every few minutes and asks ``due_moment`` whether an organisation's moment
fell since its previous run; the outbox's weekly dedupe key keeps it to one digest a week.
Each public function taking ``session`` owns its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses.quiet import in_quiet_hours
from backend.i18n import N_
from backend.models import OrganisationDigest
from backend.models.types import utcnow
from backend.settings import DeliverySettings, StaffSettings

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class DigestSchedule:
    enabled: bool
    weekday: int  # 0 = Monday
    at: dt.time  # local time (Asia/Almaty)
    own: bool  # the organisation chose it (False: the defaults)


class ScheduleInputError(ValueError):
    """Bad settings; ``problems`` maps a field (weekday, time) to a code (invalid, quiet)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def default_schedule(defaults: StaffSettings) -> DigestSchedule:
    at = defaults.digest_time.replace(second=0, microsecond=0, tzinfo=None)
    return DigestSchedule(enabled=True, weekday=defaults.digest_weekday, at=at, own=False)


def _schedule(row: OrganisationDigest) -> DigestSchedule:
    at = dt.time(row.minute_of_day // 60, row.minute_of_day % 60)
    return DigestSchedule(enabled=row.enabled, weekday=row.weekday, at=at, own=True)


async def schedule_of(
    *, session: AsyncSession, organisation_id: int, defaults: StaffSettings
) -> DigestSchedule:
    row = await session.get(OrganisationDigest, organisation_id)
    return _schedule(row) if row is not None else default_schedule(defaults)


async def schedules_of(
    *, session: AsyncSession, organisation_ids: Sequence[int], defaults: StaffSettings
) -> dict[int, DigestSchedule]:
    """Every organisation's schedule in one query (the defaults where it has none)."""
    rows = (
        await session.exec(
            select(OrganisationDigest).where(
                col(OrganisationDigest.organisation_id).in_(list(organisation_ids))
            )
        )
    ).all()
    own = {row.organisation_id: _schedule(row) for row in rows}
    fallback = default_schedule(defaults)
    return {org: own.get(org, fallback) for org in organisation_ids}


def check_schedule(*, weekday: str, time: str, delivery: DeliverySettings) -> tuple[int, dt.time]:
    """The weekday and time of a form's text, or ``ScheduleInputError``. A time inside the
    quiet hours is refused: the digest would only go out the next morning."""
    problems: dict[str, str] = {}
    day = int(weekday) if weekday.isdigit() and len(weekday) == 1 else -1
    if not 0 <= day <= 6:
        problems["weekday"] = "invalid"
    at: dt.time | None = None
    try:
        at = dt.time.fromisoformat(time.strip()) if len(time.strip()) == 5 else None
    except ValueError:
        at = None
    if at is None:
        problems["time"] = "invalid"
    elif in_quiet_hours(at, delivery.quiet_start, delivery.quiet_end):
        problems["time"] = "quiet"
    if problems or at is None:
        raise ScheduleInputError(problems)
    return day, at


async def set_schedule(
    *,
    session: AsyncSession,
    organisation_id: int,
    enabled: bool,
    weekday: int,
    at: dt.time,
    by: int | None,
) -> DigestSchedule:
    if not 0 <= weekday <= 6:
        raise ScheduleInputError({"weekday": "invalid"})
    row = await session.get(OrganisationDigest, organisation_id)
    if row is None:
        row = OrganisationDigest(organisation_id=organisation_id, weekday=0, minute_of_day=0)
    row.enabled = enabled
    row.weekday = weekday
    row.minute_of_day = at.hour * 60 + at.minute
    row.updated_at = utcnow()
    row.updated_by = by
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return _schedule(row)


def _moment(schedule: DigestSchedule, week_of: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The schedule's moment in the local ISO week of ``week_of``, in UTC."""
    local = week_of.astimezone(tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    day = monday + dt.timedelta(days=schedule.weekday)
    return dt.datetime.combine(day, schedule.at, tzinfo=tz).astimezone(dt.UTC)


def due_moment(
    schedule: DigestSchedule, *, now: dt.datetime, since: dt.datetime | None, tz: ZoneInfo
) -> dt.datetime | None:
    """The digest moment that is due now, or None.

    With ``since`` (the job's previous run): a moment in ``(since, now]``, this week's or last
    week's (a run just after midnight on Monday). Without it: this week's moment if it has
    passed (a digest asked for by hand, or a test).
    """
    if not schedule.enabled:
        return None
    this_week = _moment(schedule, now, tz)
    if since is None:
        return this_week if this_week <= now else None
    for moment in (this_week, _moment(schedule, now - WEEK, tz)):
        if since < moment <= now:
            return moment
    return None
