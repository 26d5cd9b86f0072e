from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from backend.models import UserRead

FALLBACK_LOCALE = "ru"


def locale_from_telegram(language_code: str | None) -> str:
    """First-contact guess from the Telegram client's language: Kazakh clients get kk."""
    return "kk" if (language_code or "").lower().startswith("kk") else FALLBACK_LOCALE


class UserLocaleMiddleware(I18nMiddleware):
    """The stored choice wins; before there is one, the Telegram client's language."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: UserRead | None = data.get("user")
        if user is not None and user.language in self.i18n.available_locales:
            return user.language
        sender: User | None = data.get("event_from_user")
        guess = locale_from_telegram(sender.language_code if sender else None)
        return guess if guess in self.i18n.available_locales else self.i18n.default_locale
