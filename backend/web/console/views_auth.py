"""Sign-in (one-time link, Telegram Login Widget), sign-out, the language switch, home."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel import col, select

from backend.curators import user_id_by_telegram_id
from backend.models import Assessment, User
from backend.rules.loader import Ruleset
from backend.web.console.context import (
    COOKIE,
    LANGUAGES,
    gettext_of,
    language_of,
    now_utc,
    render,
    signed_in_key,
    token_key,
    viewer_key,
)
from backend.web.console.signin import (
    end_session,
    redeem_link,
    set_session_language,
    start_session,
    verify_widget,
    widget_enabled,
)
from backend.web.keys import ruleset_key, session_pool_key, settings_key

routes = web.RouteTableDef()
LINK_TOKEN = r"{token:[A-Za-z0-9_\-]{20,64}\.\d{1,12}\.[0-9a-f]{32}}"
ASSESSMENTS_SHOWN = 20


def widget_settings(request: web.Request) -> dict[str, str] | None:
    settings = request.config_dict[settings_key]
    if not widget_enabled(settings):
        return None
    return {"bot": settings.bot.username or "", "auth_url": "/console/login/telegram"}


async def _signed_in(request: web.Request, user_id: int) -> web.StreamResponse:
    """Start a session for ``user_id`` and go to the console's home page."""
    settings = request.config_dict[settings_key]
    async with request.config_dict[session_pool_key]() as session:
        user = await session.get(User, user_id)
        language = user.language if user else None
        token, expires = await start_session(
            session=session, settings=settings, user_id=user_id, language=language, now=now_utc()
        )
    response = web.HTTPSeeOther("/console")
    secure = request.secure or settings.web.public_url.startswith("https://")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        secure=secure,
        samesite="Strict",
        path="/",
        max_age=int((expires - now_utc()).total_seconds()),
    )
    return response


def _refused(request: web.Request) -> web.Response:
    _ = gettext_of(request).gettext
    message = _(
        "This sign-in link has expired or was already used. Send /web to the bot for a new one."
    )
    return render(request, "login.html", {"message": message, "widget": None}, status=403)


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", {"message": "", "widget": widget_settings(request)})


@routes.get("/login/telegram")
async def login_widget(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[settings_key]
    telegram_id = verify_widget(settings, request.query, now_utc())
    if telegram_id is None:
        return _refused(request)
    async with request.config_dict[session_pool_key]() as session:
        user_id = await user_id_by_telegram_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        return _refused(request)  # only people who have opened the bot have a Sanat account
    return await _signed_in(request, user_id)


@routes.get("/login/" + LINK_TOKEN)
async def confirm_link(request: web.Request) -> web.Response:
    """A page with a button: link previews fetch the URL with GET and must not use it up."""
    return render(request, "confirm.html", {"token": request.match_info["token"]})


@routes.post("/login/" + LINK_TOKEN)
async def use_link(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[settings_key]
    async with request.config_dict[session_pool_key]() as session:
        user_id = await redeem_link(
            session=session,
            settings=settings,
            token=request.match_info["token"],
            now=now_utc(),
        )
    if user_id is None:
        return _refused(request)
    return await _signed_in(request, user_id)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    async with request.config_dict[session_pool_key]() as session:
        await end_session(session=session, token=request[token_key])
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(COOKIE, path="/")
    return response


def _back(request: web.Request, target: Any) -> str:
    """Only a path inside the console: never an open redirect."""
    text = target if isinstance(target, str) else ""
    if text.startswith("/console") and not text.startswith("//"):
        return text.split("?lang=")[0]
    return "/console"


@routes.post("/language")
async def language(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    chosen = form.get("language")
    if isinstance(chosen, str) and chosen in LANGUAGES:
        async with request.config_dict[session_pool_key]() as session:
            await set_session_language(session=session, token=request[token_key], language=chosen)
    raise web.HTTPSeeOther(_back(request, form.get("next")))


@routes.get("")
@routes.get("/")
async def home(request: web.Request) -> web.Response:
    viewer = request[viewer_key]
    ruleset: Ruleset = request.config_dict[ruleset_key]
    async with request.config_dict[session_pool_key]() as session:
        assessments = (
            await session.exec(
                select(Assessment)
                .where(Assessment.user_id == viewer.user_id)
                .order_by(col(Assessment.created_at).desc())
                .limit(ASSESSMENTS_SHOWN)
            )
        ).all()
    lang = language_of(request)
    mine = [
        {
            "id": item.id,
            "date": item.as_of.strftime("%d.%m.%Y"),
            "position": ruleset.positions[item.position_id].name.get(lang)
            if item.position_id in ruleset.positions
            else item.position_id,
            "estimate": ruleset.category_name(item.outcome["estimate"], lang)
            if item.outcome.get("estimate")
            else "—",
        }
        for item in assessments
    ]
    expires = request[signed_in_key].expires_at.astimezone(request.config_dict[settings_key].tz)
    return render(
        request,
        "home.html",
        {"assessments": mine, "expires": expires.strftime("%d.%m.%Y %H:%M")},
    )
