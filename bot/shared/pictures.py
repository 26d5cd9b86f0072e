"""The catalog a picture's words come from, in the current user's language (aiogram's i18n)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext, ngettext

from backend.pictures.catalog import Catalog


def user_catalog() -> Catalog:
    """Translations for the user of the update being handled (the i18n middleware's locale)."""
    return Catalog(gettext=gettext, ngettext=ngettext)
