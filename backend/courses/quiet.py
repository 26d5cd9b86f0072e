"""Quiet hours: reminders go out only between ``quiet_end`` and ``quiet_start`` local time.

Times are computed in the scheduler's zone (Asia/Almaty) and returned in UTC, as stored.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def in_quiet_hours(local: dt.time, quiet_start: dt.time, quiet_end: dt.time) -> bool:
    """True inside [quiet_start, quiet_end), which may wrap past midnight (20:00–09:00)."""
    if quiet_start == quiet_end:
        return False  # no quiet hours configured
    if quiet_start < quiet_end:
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end


def next_send_moment(
    at: dt.datetime, tz: ZoneInfo, quiet_start: dt.time, quiet_end: dt.time
) -> dt.datetime:
    """``at`` itself when outside quiet hours, else the next ``quiet_end``; in UTC.

    A milestone falling at 21:30 local goes out at 09:00 the next morning; one falling at
    02:00 goes out at 09:00 the same morning.
    """
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware moment")
    local = at.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), quiet_start, quiet_end):
        return at.astimezone(dt.UTC)
    morning = dt.datetime.combine(local.date(), quiet_end, tzinfo=tz)
    if morning <= local:
        morning = dt.datetime.combine(local.date() + dt.timedelta(days=1), quiet_end, tzinfo=tz)
    return morning.astimezone(dt.UTC)


def day_send_moment(
    day: dt.date, tz: ZoneInfo, quiet_start: dt.time, quiet_end: dt.time
) -> dt.datetime:
    """When a milestone falling on ``day`` goes out: the first allowed moment of that day."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return next_send_moment(midnight, tz, quiet_start, quiet_end)
