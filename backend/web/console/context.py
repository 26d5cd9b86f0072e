"""Per-request console state: who is signed in, in which language, and page rendering."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from babel.support import NullTranslations

from backend.models.types import utcnow
from backend.summary.content import translations
from backend.web.console.signin import SignedIn
from backend.web.keys import clock_key, settings_key

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
COOKIE = "sanat_console"


@dataclass
class Viewer:
    """The signed-in user and what they may see (the same roles and scopes as the API)."""

    user_id: int
    full_name: str
    admin: bool
    curator: bool
    staff_of: dict[int, str] = field(default_factory=dict)  # organisation id → name


viewer_key = web.RequestKey("console_viewer", Viewer)
signed_in_key = web.RequestKey("console_signed_in", SignedIn)
token_key = web.RequestKey("console_token", str)
language_key = web.RequestKey("console_language", str)


def language_of(request: web.Request) -> str:
    return str(request.get(language_key, DEFAULT_LANGUAGE))


def gettext_of(request: web.Request) -> NullTranslations:
    locales = request.config_dict[settings_key].locales_dir
    return translations(locales, language_of(request))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today(request: web.Request) -> dt.date:
    """Today in Asia/Almaty, by the main application's clock (tests pin it with clock_key)."""
    now = request.config_dict.get(clock_key, utcnow)()
    return now.astimezone(request.config_dict[settings_key].tz).date()


def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """A page with what every template needs: gettext, the viewer, the CSRF token, languages."""
    tr = gettext_of(request)
    signed_in = request.get(signed_in_key)
    base = {
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "lang": language_of(request),
        "languages": LANGUAGES,
        "viewer": request.get(viewer_key),
        "csrf": signed_in.csrf_token if signed_in else "",
        "path": request.path_qs,
    }
    return aiohttp_jinja2.render_template(template, request, base | context, status=status)


def error_page(request: web.Request, status: int) -> web.Response:
    """403/404 say only that: nothing about what exists or whose it is."""
    _ = gettext_of(request).gettext
    messages = {
        400: _("The request could not be understood."),
        403: _("You may not open this page."),
        404: _("There is no such page."),
        405: _("The request could not be understood."),
        413: _("The file is too large."),
    }
    message = messages.get(status, _("Something went wrong. Please try again later."))
    return render(request, "error.html", {"status": status, "message": message}, status=status)
