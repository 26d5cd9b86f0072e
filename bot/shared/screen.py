"""A screen of the bot: text and keyboard; shown by editing the message or sending a new one."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

BUTTON_TEXT_LIMIT = 60


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None


def short(text: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _middle_short(text: str, limit: int) -> str:
    """Cut in the middle: long names often differ only at their end (3.5 and 3.6)."""
    if len(text) <= limit:
        return text
    head = limit // 3
    tail = limit - head - 1
    return text[:head].rstrip() + "…" + text[-tail:].lstrip()


def distinct_labels(names: list[str], limit: int = BUTTON_TEXT_LIMIT) -> list[str]:
    """Button labels of at most ``limit`` characters that never read the same: cut at the end,
    else in the middle (keeping the distinguishing end), else numbered "1. …"."""
    for cut in (short, _middle_short):
        labels = [cut(name, limit) for name in names]
        if len(set(labels)) == len(labels):
            return labels
    return [short(f"{number}. {name}", limit) for number, name in enumerate(names, start=1)]


def sentence(text: str) -> str:
    """``text`` starting with a capital letter (a label may begin with a lowercase phrase)."""
    return text[:1].upper() + text[1:]


async def show(event: Message | CallbackQuery, screen: Screen, *, new: bool = False) -> None:
    """Edit the message the button was on, or send a new message."""
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message) and not new:
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
            await event.message.edit_text(screen.text, reply_markup=screen.markup)
            return
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await target.answer(screen.text, reply_markup=screen.markup)
