"""Check-in screens as pure functions: the support question and the thanks."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.handlers.checkins.callbacks import CheckinCallback
from bot.shared.screen import Screen


def support_question(course_id: int, months: int) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🙋 Yes, I'd like support"),
        callback_data=CheckinCallback(id=course_id, m=months, q="s", v="yes"),
    )
    builder.button(
        text=_("👌 No, thank you"),
        callback_data=CheckinCallback(id=course_id, m=months, q="s", v="no"),
    )
    builder.adjust(1)
    return Screen(
        _(
            "Thank you! Would you like methodological support from your methodological "
            "service to apply what you learned?"
        ),
        builder.as_markup(),
    )


def thanks(wants_support: bool) -> str:
    if wants_support:
        return _(
            "Thank you! Your wish for methodological support is recorded; your organisation's "
            "methodologists see how many colleagues asked for it (never who)."
        )
    return _("Thank you! Your answer is recorded.")
