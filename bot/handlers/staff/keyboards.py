"""Buttons of the "My organisation" section: callback data carries ids only (64-byte limit).

Every button names the organisation it acts on, so a handler checks the sender's membership of
*that* organisation on each press: a forged or stale button is refused, never trusted.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.shared.callbacks import MenuCallback

INVITE_PAGE_SIZE = 8
BUTTON_TEXT_LIMIT = 60

# What a section button does: open the organisation, upload its roster, export the digest,
# list teachers to invite, make the new students' link.
OPEN, UPLOAD, EXPORT, INVITE, STUDENTS = "open", "up", "exp", "inv", "stu"


class StaffOrgCallback(CallbackData, prefix="so"):
    o: int  # organisation id
    a: str  # open | up | exp | inv | stu


class InvitePageCallback(CallbackData, prefix="sp"):
    o: int  # organisation id
    p: int  # page of the not-yet-linked roster entries


class InviteEntryCallback(CallbackData, prefix="se"):
    o: int  # organisation id
    e: int  # roster entry id


def _short(text: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _menu_button(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("⬅ Back to menu"), callback_data=MenuCallback(item="home"))


def organisations_keyboard(organisations: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per organisation (id, name) the user is staff of."""
    builder = InlineKeyboardBuilder()
    for org_id, name in organisations:
        builder.button(text=_short(name), callback_data=StaffOrgCallback(o=org_id, a=OPEN))
    _menu_button(builder)
    builder.adjust(1)
    return builder.as_markup()


def organisation_keyboard(org_id: int, *, several: bool = False) -> InlineKeyboardMarkup:
    """The actions on one organisation; with ``several`` a way back to the list."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📤 Upload roster"), callback_data=StaffOrgCallback(o=org_id, a=UPLOAD))
    builder.button(text=_("📊 Export digest"), callback_data=StaffOrgCallback(o=org_id, a=EXPORT))
    builder.button(
        text=_("✉ Invite a teacher"), callback_data=StaffOrgCallback(o=org_id, a=INVITE)
    )
    builder.button(
        text=_("🎓 Link for new students"), callback_data=StaffOrgCallback(o=org_id, a=STUDENTS)
    )
    if several:
        builder.button(text=_("🏫 Other organisations"), callback_data=MenuCallback(item="org"))
    _menu_button(builder)
    builder.adjust(1)
    return builder.as_markup()


def back_to_organisation_keyboard(org_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅ Back"), callback_data=StaffOrgCallback(o=org_id, a=OPEN))
    return builder.as_markup()


def invite_keyboard(
    org_id: int, entries: Sequence[tuple[int, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    """Roster entries (id, full name) on one page, page arrows, and the way back."""
    builder = InlineKeyboardBuilder()
    sizes = [1] * len(entries)
    for entry_id, full_name in entries:
        builder.button(
            text=_short(full_name), callback_data=InviteEntryCallback(o=org_id, e=entry_id)
        )
    arrows = 0
    if page > 0:
        builder.button(text="◀", callback_data=InvitePageCallback(o=org_id, p=page - 1))
        arrows += 1
    if page < pages - 1:
        builder.button(text="▶", callback_data=InvitePageCallback(o=org_id, p=page + 1))
        arrows += 1
    if arrows:
        sizes.append(arrows)
    builder.button(text=_("⬅ Back"), callback_data=StaffOrgCallback(o=org_id, a=OPEN))
    sizes.append(1)
    builder.adjust(*sizes)
    return builder.as_markup()
