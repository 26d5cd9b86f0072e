"""Which testing window a reminder is due for: pure functions over (start, end) windows.

Two reminders per window: ``OPEN_NOTICE_DAYS`` before it opens (time to register and prepare)
and ``CLOSE_NOTICE_DAYS`` before it closes (the last chance). Both numbers are product choices,
not legal rules. Only the nearest window is considered, so after downtime a teacher gets one
message, never a burst for windows already past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

OPEN_NOTICE_DAYS = 14
CLOSE_NOTICE_DAYS = 3

Phase = Literal["opens", "closes"]
W = TypeVar("W", bound="Window")


class Window(Protocol):
    @property
    def starts_on(self) -> dt.date: ...

    @property
    def ends_on(self) -> dt.date: ...


@dataclass(frozen=True)
class DueReminder:
    window: Window
    phase: Phase
    days_left: int  # until the window opens ("opens") or until its last day ("closes")


def next_window(windows: Sequence[W], on: dt.date) -> W | None:
    """The window open on ``on`` or, failing that, the next one to open."""
    current = [w for w in windows if w.ends_on >= on]
    return min(current, key=lambda w: w.starts_on, default=None)


def due_reminder(
    windows: Sequence[Window],
    on: dt.date,
    *,
    open_notice_days: int = OPEN_NOTICE_DAYS,
    close_notice_days: int = CLOSE_NOTICE_DAYS,
) -> DueReminder | None:
    """The reminder due on ``on``: a window opening within the notice days, else an open window
    closing within its notice days (the opening one wins: it is the newer news)."""
    opening = [
        w for w in windows if w.starts_on > on and (w.starts_on - on).days <= open_notice_days
    ]
    if opening:
        window = min(opening, key=lambda w: w.starts_on)
        return DueReminder(window, "opens", (window.starts_on - on).days)
    closing = [
        w
        for w in windows
        if w.starts_on <= on <= w.ends_on and (w.ends_on - on).days < close_notice_days
    ]
    if closing:
        window = min(closing, key=lambda w: w.ends_on)
        return DueReminder(window, "closes", (window.ends_on - on).days)
    return None


def reminder_dedupe_key(user_id: int, kind: str, window: Window, phase: Phase) -> str:
    """One reminder per user, window and phase, whatever happens (the outbox key is unique)."""
    prefix = "testing" if phase == "opens" else "testing-close"
    if kind != "testing":
        prefix = f"{kind}-{phase}"
    return f"{prefix}:{user_id}:{window.starts_on.isoformat()}"
