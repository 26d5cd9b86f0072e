"""The university self-check buttons: ``un:<a>:<card>:<item index>:<rating>`` (ids only)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class UniversityCallback(CallbackData, prefix="un"):
    a: str  # cards | card | rate | result
    c: int = 0  # profession card (3, 4, 5)
    i: int = 0  # index of the item being rated
    v: int = 0  # the rating, 0-3
