"""The words of a picture in the recipient's language, from the project's gettext catalogs.

Pictures take their labels already translated; the ``*_labels`` builders next to each picture
call ``gettext``/``ngettext`` of a ``Catalog``: the bot passes aiogram's (the current user's
locale), the backend one loaded from ``locales/`` for a language code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DOMAIN = "messages"


@dataclass(frozen=True)
class Catalog:
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


@functools.cache
def catalog_for(locales_dir: Path, language: str) -> Catalog:
    """The compiled catalog of ``language`` (English source texts when there is none)."""
    from babel.support import Translations

    translations = Translations.load(str(locales_dir), [language], domain=DOMAIN)
    return Catalog(gettext=translations.gettext, ngettext=translations.ngettext)
