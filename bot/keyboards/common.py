from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.callback_data import LanguageCallback

# Language names are shown in their own language, whatever the current locale.
LANGUAGE_LABELS = {"kk": "Қазақша", "ru": "Русский"}


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, label in LANGUAGE_LABELS.items():
        builder.button(text=label, callback_data=LanguageCallback(code=code))
    builder.adjust(2)
    return builder.as_markup()
