"""Keyboard pieces several features use: ticks and page arrows of long lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder

REGION_PAGE_SIZE = 8


class KeyboardBuilder(InlineKeyboardBuilder):
    """aiogram's builder without its deep copies: ``export`` (called by every ``button``,
    ``adjust`` and ``as_markup``) deep-copies every button model each time, which made building
    a 12-button question screen most of a dialog step's cost. Rows are copied, buttons shared:
    nothing here changes a button once it is made."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]

    def button(
        self, *, text: str, callback_data: str | CallbackData | None = None, **fields: Any
    ) -> InlineKeyboardBuilder:
        """aiogram's ``button``, without handing the button model a dozen fields set to None
        (validating them was a fifth of a question screen's 15-button keyboard)."""
        if isinstance(callback_data, CallbackData):
            callback_data = callback_data.pack()
        given = {name: value for name, value in fields.items() if value is not None}
        if callback_data is not None:
            given["callback_data"] = callback_data
        self.add(InlineKeyboardButton(text=text, **given))
        return self


T = TypeVar("T")


def tick(on: bool) -> str:
    """The mark in front of a filter or topic button: ticked or not."""
    return "✅" if on else "▫️"


def page_of(items: Sequence[T], page: int, size: int) -> tuple[int, int, Sequence[T]]:
    """(the page clamped to what exists, the number of pages, the items on it)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return page, pages, items[page * size : (page + 1) * size]


def add_page_arrows(
    builder: InlineKeyboardBuilder, page: int, pages: int, to_page: Callable[[int], CallbackData]
) -> int:
    """◀ and ▶ where there is a page to go to; returns how many were added (a row's width)."""
    arrows = 0
    if page > 0:
        builder.button(text="◀", callback_data=to_page(page - 1))
        arrows += 1
    if page < pages - 1:
        builder.button(text="▶", callback_data=to_page(page + 1))
        arrows += 1
    return arrows
