"""``create_console_app``: the console as an aiohttp sub-application mounted at ``/console``.

One middleware does what every page needs: the session from the cookie, the language, the
viewer's roles (looked up per request, so a revoked role takes effect at once), the CSRF check
of every POST, same-origin POSTs only, security headers, and HTML error pages (403/404 reveal
nothing). Views are thin adapters over the backend services.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from sqlmodel import select
from yarl import URL

from backend.models import User, UserRole
from backend.staff.organisations import STAFF_ROLES, memberships_of
from backend.web.console import (
    views_admin,
    views_auth,
    views_calendars,
    views_charts,
    views_curator,
    views_digest,
    views_staff,
)
from backend.web.console.context import (
    COOKIE,
    LANGUAGES,
    Viewer,
    error_page,
    language_key,
    now_utc,
    signed_in_key,
    token_key,
    viewer_key,
)
from backend.web.console.signin import session_of
from backend.web.keys import session_pool_key, settings_key
from backend.web.problems import Handler

HERE = Path(__file__).resolve().parent
PUBLIC_PATHS = ("/console/login", "/console/static/")
log = logging.getLogger(__name__)


async def _viewer(request: web.Request, user_id: int) -> Viewer | None:
    async with request.config_dict[session_pool_key]() as session:
        user = await session.get(User, user_id)
        if user is None:
            return None
        roles = set(
            (await session.exec(select(UserRole.role).where(UserRole.user_id == user_id))).all()
        )
        memberships = await memberships_of(session=session, user_id=user_id)
    staff_of = {org.id: org.name for org, role in memberships if role in STAFF_ROLES and org.id}
    return Viewer(
        user_id=user_id,
        full_name=user.full_name or user.username or "",
        admin="admin" in roles,
        curator="curator" in roles,
        staff_of=staff_of,
    )


def _same_origin(request: web.Request) -> bool:
    """A POST must come from this site: its Origin (or Referer) is the console's own."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # old browsers send neither; the CSRF token still guards the form
    public = URL(request.config_dict[settings_key].web.public_url)
    theirs = URL(origin)
    return (theirs.host, theirs.port) in {
        (request.url.host, request.url.port),
        (public.host, public.port),
    }


async def _check_csrf(request: web.Request) -> bool:
    signed_in = request.get(signed_in_key)
    if signed_in is None:
        return False
    form = await request.post()
    given = form.get("csrf")
    return isinstance(given, str) and hmac.compare_digest(given, signed_in.csrf_token)


def _headers(response: web.StreamResponse, request: web.Request) -> None:
    widget = views_auth.widget_settings(request)
    script = " https://telegram.org" if widget else ""
    frame = " https://oauth.telegram.org" if widget else " 'none'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src 'self'{script}; frame-src{frame}; "
        "img-src 'self' data:; style-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")  # links never leak out
    response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(COOKIE, "")
    wanted = request.query.get("lang", "")
    if token:
        async with request.config_dict[session_pool_key]() as session:
            signed_in = await session_of(session=session, token=token, now=now_utc())
        if signed_in is not None:
            request[signed_in_key] = signed_in
            request[token_key] = token
            viewer = await _viewer(request, signed_in.user_id)
            if viewer is not None:
                request[viewer_key] = viewer
    signed = request.get(signed_in_key)
    request[language_key] = (
        wanted
        if wanted in LANGUAGES
        else (signed.language if signed and signed.language in LANGUAGES else "ru")
    )
    try:
        public = request.path.startswith(PUBLIC_PATHS)
        if request.method == "POST" and not _same_origin(request):
            response: web.StreamResponse = error_page(request, 403)
        elif viewer_key not in request and not public:
            response = web.HTTPSeeOther("/console/login")
        elif request.method == "POST" and not public and not await _check_csrf(request):
            response = error_page(request, 403)
        else:
            response = await handler(request)
    except web.HTTPRedirection as redirect:
        response = redirect
    except web.HTTPException as exc:
        response = error_page(request, exc.status if exc.status in (400, 403, 405, 413) else 404)
    except Exception:
        log.exception("console error", extra={"path": request.path})
        response = error_page(request, 500)
    _headers(response, request)
    if isinstance(response, web.HTTPRedirection):
        raise response
    return response


def create_console_app() -> web.Application:
    app = web.Application(middlewares=[console_middleware])
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_static("/static/", HERE / "static", name="static")
    app.add_routes(views_auth.routes)
    app.add_routes(views_staff.routes)
    app.add_routes(views_charts.routes)
    app.add_routes(views_digest.routes)
    app.add_routes(views_curator.routes)
    app.add_routes(views_admin.routes)
    app.add_routes(views_calendars.routes)
    return app
