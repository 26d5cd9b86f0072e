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


async def show(event: Message | CallbackQuery, screen: Screen, *, new: bool = False) -> None:
    """Edit the message the button was on, or send a new message."""
    if isinstance(event, CallbackQuery) and isinstance(event.message, Message) and not new:
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
            await event.message.edit_text(screen.text, reply_markup=screen.markup)
            return
    target = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(target, Message):
        await target.answer(screen.text, reply_markup=screen.markup)
