"""What a teacher sees: the next due date, the days left and the ladder with send times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from backend.courses.cycle import Milestone, due_date, ladder, latest_milestone
from backend.courses.quiet import day_send_moment
from backend.settings import DeliverySettings


@dataclass(frozen=True)
class ScheduledMilestone:
    milestone: Milestone
    send_at: dt.datetime  # UTC, inside the allowed hours


@dataclass(frozen=True)
class DueStatus:
    last_completed: dt.date
    due: dt.date
    today: dt.date  # in the scheduler's zone
    days_left: int  # negative when overdue
    current: Milestone | None  # the latest milestone reached today
    ladder: list[ScheduledMilestone]

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def due_status(
    last_completed: dt.date,
    *,
    period_years: int,
    delivery: DeliverySettings,
    tz: ZoneInfo,
    now: dt.datetime,
    overdue_horizon_days: int = 365,
) -> DueStatus:
    """The cycle as of ``now``; overdue rungs are listed up to a year past the due date."""
    today = now.astimezone(tz).date()
    due = due_date(last_completed, period_years)
    until = max(today, due) + dt.timedelta(days=overdue_horizon_days)
    rungs = ladder(due, delivery.reminder_days, delivery.overdue_every_days, until)
    return DueStatus(
        last_completed=last_completed,
        due=due,
        today=today,
        days_left=(due - today).days,
        current=latest_milestone(due, delivery.reminder_days, delivery.overdue_every_days, today),
        ladder=[
            ScheduledMilestone(
                rung, day_send_moment(rung.on, tz, delivery.quiet_start, delivery.quiet_end)
            )
            for rung in rungs
        ],
    )
