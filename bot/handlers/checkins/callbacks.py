"""The buttons under a post-course check-in (``backend.courses.checkins``): ids only."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class CheckinCallback(CallbackData, prefix="ci"):
    """``ci:<course id>:<months>:<q>:<v>``: q is "a" (applied: yes|partly|no) or "s" (wants
    methodological support: yes|no)."""

    id: int
    m: int
    q: str
    v: str
