"""The refresher-course cycle: the due date and the ladder of reminder milestones.

The period (three years today) is rules data (``ruleset.meta.refresher.period_years``); this
module only does calendar arithmetic with whatever period it is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

BEFORE_PREFIX = "d"  # d180 … d0: days before the due date
OVERDUE_PREFIX = "o"  # o30, o60 …: days after it


def due_date(last_completed: dt.date, period_years: int) -> dt.date:
    """The day by which the next course must be completed.

    The same month and day ``period_years`` later. A course completed on 29 February has no
    such day in a common year: the period then ends on the last day of February (28 Feb, the
    day before 1 March), the rule civil law applies to periods ending in a month without the
    matching day. It is also the earlier of the two candidates, so a reminder is never late,
    and it is what PostgreSQL's ``date + interval 'N years'`` gives.
    """
    try:
        return last_completed.replace(year=last_completed.year + period_years)
    except ValueError:  # 29 February -> a common year
        return dt.date(last_completed.year + period_years, 3, 1) - dt.timedelta(days=1)


def due_date_in_calendar(last_completed: dt.date, period_years: int) -> dt.date | None:
    """``due_date``, or None when it would fall after 31.12.9999 (``datetime.date``'s last day):
    a course date stored far in the future, which callers show as "date out of range".
    """
    if last_completed.year + period_years > dt.MAXYEAR:
        return None
    return due_date(last_completed, period_years)


@dataclass(frozen=True, order=True)
class Milestone:
    """One rung of the ladder: ``offset`` days after the due date (negative before it)."""

    on: dt.date
    id: str
    offset: int


def ladder_days(reminder_days: Sequence[int]) -> list[int]:
    """The distinct non-negative reminder days, largest (earliest) first."""
    return sorted({day for day in reminder_days if day >= 0}, reverse=True)


def milestone_id(offset: int) -> str:
    return f"{BEFORE_PREFIX}{-offset}" if offset <= 0 else f"{OVERDUE_PREFIX}{offset}"


def latest_offset(
    days_left: int, reminder_days: Sequence[int], overdue_every_days: int
) -> int | None:
    """The offset of the latest milestone reached when ``days_left`` days remain, or None.

    Offsets are relative to the due date: -180 is "180 days before", 30 is "30 days overdue".
    Before the due date it is the nearest reminder day at or above ``days_left``; after it,
    the last whole multiple of ``overdue_every_days`` (or the last pre-due rung before the
    first overdue one).
    """
    days = ladder_days(reminder_days)
    if days_left >= 0:
        reached = [day for day in days if day >= days_left]
        return -min(reached) if reached else None
    overdue = -days_left
    if overdue >= overdue_every_days:
        return overdue - overdue % overdue_every_days
    return -min(days) if days else None


def ladder(
    due: dt.date, reminder_days: Sequence[int], overdue_every_days: int, until: dt.date
) -> list[Milestone]:
    """Every milestone of a cycle, in order, overdue ones up to ``until`` (inclusive)."""
    rungs = [
        Milestone(due - dt.timedelta(days=day), milestone_id(-day), -day)
        for day in ladder_days(reminder_days)
    ]
    offset = overdue_every_days
    while due + dt.timedelta(days=offset) <= until:
        rungs.append(Milestone(due + dt.timedelta(days=offset), milestone_id(offset), offset))
        offset += overdue_every_days
    return rungs


def due_milestones(
    due: dt.date, reminder_days: Sequence[int], overdue_every_days: int, on: dt.date
) -> list[Milestone]:
    """The milestones that have fallen by ``on`` (inclusive), oldest first."""
    return [rung for rung in ladder(due, reminder_days, overdue_every_days, on) if rung.on <= on]


def catch_up(missed: Sequence[Milestone]) -> Milestone | None:
    """After downtime only the latest missed milestone is worth sending: older ones are stale.

    A teacher who was 30 days from the due date yesterday needs the 7-days message today, not
    the 30-, 90- and 180-days ones in a burst; the skipped ones are never sent later either,
    because the latest milestone only moves forward in time.
    """
    return max(missed, default=None)


def latest_milestone(
    due: dt.date, reminder_days: Sequence[int], overdue_every_days: int, on: dt.date
) -> Milestone | None:
    """The milestone to send on ``on``: the latest one fallen by then (same as ``catch_up``)."""
    offset = latest_offset((due - on).days, reminder_days, overdue_every_days)
    if offset is None:
        return None
    return Milestone(due + dt.timedelta(days=offset), milestone_id(offset), offset)
