"""Reminders before the national qualification testing windows.

The windows are rows of the calendar (``backend.calendars``), kept current by an admin; the
pure reminder logic lives in ``backend.calendars.windows`` and is re-exported here.
``next_window`` serves the pictures, which take ``TestingWindow`` values (start, end).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from backend.calendars.windows import (
    CLOSE_NOTICE_DAYS,
    OPEN_NOTICE_DAYS,
    due_reminder,
    reminder_dedupe_key,
)
from backend.rules.schema import TestingWindow

NOTICE_DAYS = OPEN_NOTICE_DAYS  # two weeks to register and prepare (a product choice)

__all__ = [
    "CLOSE_NOTICE_DAYS",
    "NOTICE_DAYS",
    "OPEN_NOTICE_DAYS",
    "due_reminder",
    "next_window",
    "reminder_dedupe_key",
]


def next_window(windows: Sequence[TestingWindow], on: dt.date) -> TestingWindow | None:
    """The window open on ``on``, else the next one to open; None when none is ahead."""
    ahead = [window for window in windows if window.end >= on]
    return min(ahead, key=lambda window: window.start, default=None)
