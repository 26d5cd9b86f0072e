"""The backend's user-facing texts come from the same gettext catalogs as the bot's (``locales/``),
so the catalogs' completeness test covers them too; no texts per language in code.

Two ways to use them:

* now, in one language (a file's headers, a calendar entry):
  ``t = translations(language); t.gettext("Full name")``, ``t.ngettext(one, many, n)``;
* later, in the recipient's language: an outbox payload carries a message key and its
  parameters (``msg``, ``msg_plural``), and the delivery worker translates it when it sends
  (backend.delivery.render). A parameter may itself be such a message, or a mapping
  language → text for data that exists per language (a position's name, a citation).

``N_`` marks a msgid kept in a constant for ``pybabel extract`` (``make babel-extract``
knows ``N_``, ``msg`` and ``msg_plural`` as keywords).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations

from backend.settings import PROJECT_ROOT

DOMAIN = "messages"  # the bot's catalogs (bot/factory.py)
LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
LOCALES_DIR = PROJECT_ROOT / "locales"

Message = dict[str, Any]  # {"message_key": msgid, "params": {...}[, "plural_key": plural]}


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention pybabel looks for
    """Marks ``msgid`` for extraction; translated later."""
    return msgid


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=8)
def translations(language: str | None) -> NullTranslations:
    """The compiled catalog of ``language`` (Russian for an unknown one), loaded once."""
    return Translations.load(LOCALES_DIR, [language_or_default(language)], DOMAIN)


def msg(msgid: str, /, **params: Any) -> Message:
    """A message key with its parameters, translated when the message is sent."""
    return {"message_key": msgid, "params": params}


def msg_plural(singular: str, plural: str, count: int, /, **params: Any) -> Message:
    """A counted message key (ngettext on ``count``); ``count`` is a parameter too."""
    return {"message_key": singular, "plural_key": plural, "params": {"count": count, **params}}
