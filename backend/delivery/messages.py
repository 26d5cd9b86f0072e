"""Message keys: an outbox payload names a message of the gettext catalogs in ``locales/`` (its
msgid) with parameters, and the worker translates it into the recipient's language when it
sends — the same catalogs as the bot's, so their completeness test covers these texts too.

Payload: ``{"message_key": msgid, "params": {...}}``, or for a count
``{"message_key": singular, "plural_key": plural, "params": {"count": n, ...}}`` (ngettext).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from backend.settings import PROJECT_ROOT

DOMAIN = "messages"  # the bot's catalogs (bot/factory.py)


class MessageCatalog:
    """The compiled catalogs (``.mo``), loaded once per language on first use."""

    def __init__(self, locales_dir: Path = PROJECT_ROOT / "locales", domain: str = DOMAIN) -> None:
        self._dir = locales_dir
        self._domain = domain
        self._loaded: dict[str, NullTranslations] = {}

    def translate(self, payload: Mapping[str, Any], language: str) -> str:
        """The payload's message in ``language`` (the msgid itself when it has no entry)."""
        key, plural = payload.get("message_key"), payload.get("plural_key")
        if not isinstance(key, str) or not key:
            raise ValueError("message_key must be a non-empty msgid")
        translations = self._translations(language)
        if plural is None:
            return translations.gettext(key)
        params = payload.get("params") or {}
        count = params.get("count") if isinstance(params, Mapping) else None
        if not isinstance(plural, str) or not isinstance(count, int) or isinstance(count, bool):
            raise ValueError("a plural message needs plural_key and an integer params.count")
        return translations.ngettext(key, plural, count)

    def _translations(self, language: str) -> NullTranslations:
        if language not in self._loaded:
            self._loaded[language] = Translations.load(self._dir, [language], self._domain)
        return self._loaded[language]
