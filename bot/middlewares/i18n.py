from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from backend.models import UserRead

FALLBACK_LOCALE = "ru"


def locale_from_telegram(language_code: str | None) -> str:
    """First-contact guess from the Telegram client's language: Kazakh clients get kk."""
    return "kk" if (language_code or "").lower().startswith("kk") else FALLBACK_LOCALE


def locale_of(i18n: I18n, user: UserRead | None, sender: User | None) -> str:
    """The stored choice wins; before there is one, the Telegram client's language."""
    if user is not None and user.language in i18n.available_locales:
        return user.language
    guess = locale_from_telegram(sender.language_code if sender else None)
    return guess if guess in i18n.available_locales else i18n.default_locale


class UserLocaleMiddleware(I18nMiddleware):
    """The same choice for the error handlers, which run outside ``UpdateMiddleware``."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return locale_of(self.i18n, data.get("user"), data.get("event_from_user"))
