"""The main menu and the language choice: reached from every feature."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.shared.callbacks import LanguageCallback, MenuCallback
from bot.shared.keyboards import KeyboardBuilder
from bot.shared.screen import Screen

# Language names are shown in their own language, whatever the current locale.
LANGUAGE_LABELS = {"kk": "Қазақша", "ru": "Русский"}


def language_keyboard() -> InlineKeyboardMarkup:
    builder = KeyboardBuilder()
    for code, label in LANGUAGE_LABELS.items():
        builder.button(text=label, callback_data=LanguageCallback(code=code))
    builder.adjust(2)
    return builder.as_markup()


STAFF_ROLES = frozenset({"staff", "admin"})


CURATOR_ROLES = frozenset({"curator", "admin"})


def menu_screen(roles: Iterable[str] = ()) -> Screen:
    """The main menu; staff and curators see their sections too."""
    held = set(roles)
    builder = KeyboardBuilder()
    items = [
        ("assess", _("📝 Self-assessment")),
        ("courses", _("📚 My courses")),
        ("reminders", _("⏰ Reminders")),
        ("news", _("📰 News")),
    ]
    if held & STAFF_ROLES:
        items.append(("org", _("🏫 My organisation")))
    if held & CURATOR_ROLES:
        items.append(("bcast", _("📣 Broadcasts")))
        items.append(("chans", _("📡 Channels")))
    items += [
        ("lang", _("🌐 Language")),
        ("help", _("❓ Help")),
        ("delete", _("🗑 Delete my data")),
    ]
    for item, label in items:
        builder.button(text=label, callback_data=MenuCallback(item=item))
    builder.adjust(1, 2, 2, 2, 2)
    return Screen(_("What would you like to do?"), builder.as_markup())
