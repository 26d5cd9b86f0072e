"""Typed handler data: what the dispatcher and the middlewares put into a handler's kwargs.

aiogram passes a handler only the keyword arguments its signature names, so a handler declares
what it uses: ``ctx: BotContext`` (built per update by ``UpdateMiddleware``) and, as needed,
``state: FSMContext``, ``callback_answer: CallbackAnswer`` and its ``callback_data``. Helpers the
handlers call take the same ``ctx`` explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from aiogram import Bot
from aiogram.utils.i18n import I18n
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.models import UserRead
from backend.rules.assessments import today_in
from backend.rules.loader import Ruleset
from backend.settings import Settings

CONTEXT_KEY = "ctx"  # the handler-data key of the BotContext


class BotData(TypedDict):
    """The dispatcher's workflow data: in every handler's data, from startup to shutdown."""

    settings: Settings
    session_pool: SessionPool
    ruleset: Ruleset
    i18n: I18n


@dataclass(frozen=True)
class BotContext:
    """What most handlers and screens need, for one update from a (non-bot) Telegram user."""

    session: AsyncSession  # one per update, closed when the update is handled
    user: UserRead  # the Sanat user behind the Telegram sender
    ruleset: Ruleset
    settings: Settings
    i18n: I18n
    bot: Bot

    @property
    def lang(self) -> str:
        """The language of this update's replies (set by the locale middleware)."""
        return str(self.i18n.current_locale)

    def today(self) -> dt.date:
        return local_today(self.settings)


def local_today(settings: Settings) -> dt.date:
    """Today in the service's time zone (Asia/Almaty): what "in the future" is checked against."""
    return today_in(settings.tz)
