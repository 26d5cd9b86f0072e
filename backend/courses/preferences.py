"""A teacher's choices about reminders: snooze for a while, or stop them."""

from __future__ import annotations

import datetime as dt

SNOOZE_DAYS = 7  # the "Snooze 7 days" button


def snooze_until(now: dt.datetime, days: int = SNOOZE_DAYS) -> dt.datetime:
    return (now + dt.timedelta(days=days)).astimezone(dt.UTC)


def reminders_paused(stopped: bool, snoozed_until: dt.datetime | None, at: dt.datetime) -> bool:
    """True when nothing should be enqueued for the teacher at ``at``."""
    return stopped or (snoozed_until is not None and snoozed_until > at)
