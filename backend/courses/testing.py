"""Reminders before the national qualification testing windows (dates are rules data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from backend.rules.schema import TestingWindow

NOTICE_DAYS = 14  # a product choice, not a legal rule: two weeks to register and prepare


def upcoming_window(
    windows: Sequence[TestingWindow], on: dt.date, notice_days: int = NOTICE_DAYS
) -> TestingWindow | None:
    """The window whose notice period covers ``on``: it starts within ``notice_days`` after it.

    Only the nearest such window: after downtime a teacher gets the next window's reminder,
    never one for a window that has already opened.
    """
    ahead = [
        window
        for window in windows
        if window.start > on and (window.start - on).days <= notice_days
    ]
    return min(ahead, key=lambda window: window.start, default=None)


def testing_dedupe_key(user_id: int, window: TestingWindow) -> str:
    return f"testing:{user_id}:{window.start.isoformat()}"


def next_window(windows: Sequence[TestingWindow], on: dt.date) -> TestingWindow | None:
    """The window open on ``on``, else the next one to open; None when the data has none ahead
    (the rules data lists past windows too)."""
    ahead = [window for window in windows if window.end >= on]
    return min(ahead, key=lambda window: window.start, default=None)
