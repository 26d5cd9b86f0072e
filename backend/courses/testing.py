"""Reminders before the national qualification testing windows.

The windows are rows of the calendar (``backend.calendars``), kept current by an admin; the
pure reminder logic lives in ``backend.calendars.windows`` and is re-exported here.
"""

from __future__ import annotations

from backend.calendars.windows import (
    CLOSE_NOTICE_DAYS,
    OPEN_NOTICE_DAYS,
    due_reminder,
    next_window,
    reminder_dedupe_key,
)

NOTICE_DAYS = OPEN_NOTICE_DAYS  # two weeks to register and prepare (a product choice)

__all__ = [
    "CLOSE_NOTICE_DAYS",
    "NOTICE_DAYS",
    "OPEN_NOTICE_DAYS",
    "due_reminder",
    "next_window",
    "reminder_dedupe_key",
]
