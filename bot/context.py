"""Typed handler data: what the dispatcher and middlewares put into every handler's kwargs."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from aiogram.utils.i18n import I18n
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.models import UserRead
from backend.rules.assessments import today_in
from backend.rules.loader import Ruleset
from backend.settings import Settings


class BotData(TypedDict, total=False):
    settings: Settings
    session_pool: SessionPool
    ruleset: Ruleset
    i18n: I18n
    session: AsyncSession
    user: UserRead


def local_today(deps: dict[str, Any]) -> dt.date:
    """Today in the service's time zone (Asia/Almaty): what "in the future" is checked against."""
    settings: Settings = deps["settings"]
    return today_in(settings.tz)
