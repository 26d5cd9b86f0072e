"""Curator pages: broadcasts with their live progress and report, and a new broadcast with the
exact recipient count before it is sent or scheduled.

Open to curators and admins; the service keeps a curator to their own broadcasts and inside
their scope (``backend.broadcasts``), and anything else is the same 404 as a missing page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.broadcasts import service as broadcasts
from backend.broadcasts.audience import ROLE_FILTERS, Audience
from backend.broadcasts.reach import reach_data
from backend.broadcasts.statuses import BROADCAST_STATUS
from backend.channels.duty import local_month
from backend.channels.registration import covers, list_channels, reach_of
from backend.curators import NotCuratorError
from backend.directory import REGIONS, TOPICS, UMO_TOPIC_PREFIX, topic
from backend.models import Broadcast, Organisation, Submission
from backend.pictures.catalog import Catalog
from backend.pictures.reach import ReachData, ReachLabels, reach_labels
from backend.umo.directory import load_directory
from backend.web.console import charts
from backend.web.console.context import gettext_of, language_of, now_utc, render, viewer_key
from backend.web.keys import session_pool_key, settings_key

routes = web.RouteTableDef()
ONE = r"/broadcasts/{broadcast_id:\d{1,9}}"
TEXT_LIMIT = 4000
FIELDS = ("text_kk", "text_ru", "topic", "region", "role", "at")  # the new-broadcast form
REFRESH_SECONDS = 3
# What the broadcast page offers in each status (the service refuses anything else).
ACTIONS = {
    "running": ("pause", "cancel"),
    "paused": ("resume", "cancel"),
    "scheduled": ("cancel",),
    "draft": ("cancel",),
}
Switch = Callable[..., Awaitable[Broadcast]]
SWITCHES: dict[str, Switch] = {
    "pause": broadcasts.pause,
    "resume": broadcasts.resume,
    "cancel": broadcasts.cancel,
}
# An SVG drawn by matplotlib styles itself inline; it is shown as an image, never as a page.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def _curator(request: web.Request) -> int:
    viewer = request[viewer_key]
    if not (viewer.curator or viewer.admin):
        raise web.HTTPNotFound()
    return viewer.user_id


def _labels(request: web.Request) -> Any:
    """A broadcast's status as people read it, in the page's language."""
    gettext = gettext_of(request).gettext
    return lambda status: (
        gettext(BROADCAST_STATUS[status]) if status in BROADCAST_STATUS else status
    )


def _local(value: dt.datetime | None, request: web.Request) -> str:
    if value is None:
        return "—"
    return value.astimezone(request.config_dict[settings_key].tz).strftime("%d.%m.%Y %H:%M")


@routes.get("/broadcasts")
async def broadcast_list(request: web.Request) -> web.Response:
    actor = _curator(request)
    async with request.config_dict[session_pool_key]() as session:
        try:
            items = await broadcasts.list_for(session=session, actor_id=actor, limit=50)
        except NotCuratorError:
            raise web.HTTPNotFound() from None
        rows = []
        for item in items:
            assert item.id is not None
            state = await broadcasts.progress(session=session, broadcast_id=item.id)
            rows.append(
                {
                    "id": item.id,
                    "topic": item.topic,
                    "status": item.status,
                    "sent": state.sent,
                    "total": state.total,
                    "created": _local(item.created_at, request),
                }
            )
    return render(
        request, "broadcasts.html", {"broadcasts": rows, "status_label": _labels(request)}
    )


@routes.get(ONE)
async def broadcast_page(request: web.Request) -> web.Response:
    actor = _curator(request)
    _ = gettext_of(request).gettext
    broadcast_id = int(request.match_info["broadcast_id"])
    async with request.config_dict[session_pool_key]() as session:
        try:
            item = await broadcasts.get(session=session, actor_id=actor, broadcast_id=broadcast_id)
        except (broadcasts.BroadcastNotFoundError, broadcasts.OutOfScopeError, NotCuratorError):
            raise web.HTTPNotFound() from None
        state = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
        reach, reach_words = await _reach(request, session, broadcast_id, state.total)
    done = state.total - state.remaining
    running = item.status in ("running", "scheduled")
    return render(
        request,
        "broadcast.html",
        {
            "item": item,
            "status_label": _labels(request),
            "state": state,
            "percent": round(100 * done / state.total) if state.total else 100,
            "refresh": REFRESH_SECONDS if running else None,
            "scheduled": _local(item.scheduled_at, request),
            "texts": {lang: (variant.get("text") or "") for lang, variant in item.content.items()},
            "actions": ACTIONS.get(item.status, ()),
            "problem": _("This broadcast can no longer be changed that way.")
            if request.query.get("problem") == "state"
            else "",
            "reach": reach,
            "reach_words": reach_words,
        },
    )


async def _reach(
    request: web.Request, session: AsyncSession, broadcast_id: int, total: int
) -> tuple[ReachData, ReachLabels]:
    """The broadcast's reach (``backend.broadcasts.reach``) and its words in the page's
    language: the same figures for the chart and the table beside it."""
    tr = gettext_of(request)
    catalog = Catalog(gettext=tr.gettext, ngettext=tr.ngettext)
    data, grouping = await reach_data(
        session=session,
        broadcast_id=broadcast_id,
        recipients=total,
        tz=request.config_dict[settings_key].tz,
        language=language_of(request),
        catalog=catalog,
    )
    return data, reach_labels(catalog, data, broadcast_id=broadcast_id, grouping=grouping)


@routes.post(ONE + "/{action:pause|resume|cancel}")
async def switch_broadcast(request: web.Request) -> web.StreamResponse:
    """Pause, resume or cancel with the bot's and the API's service; the same 404 for a
    broadcast that is not the viewer's as for one that does not exist."""
    actor = _curator(request)
    broadcast_id = int(request.match_info["broadcast_id"])
    switch = SWITCHES[request.match_info["action"]]
    page = f"/console/broadcasts/{broadcast_id}"
    async with request.config_dict[session_pool_key]() as session:
        try:
            await switch(session=session, actor_id=actor, broadcast_id=broadcast_id)
        except (broadcasts.BroadcastNotFoundError, broadcasts.OutOfScopeError, NotCuratorError):
            raise web.HTTPNotFound() from None
        except broadcasts.BroadcastStateError:
            raise web.HTTPSeeOther(page + "?problem=state") from None
    raise web.HTTPSeeOther(page)


@routes.get(ONE + "/reach.svg")
async def reach_chart(request: web.Request) -> web.Response:
    """The reach over time as an SVG; the page shows the same figures in a table."""
    actor = _curator(request)
    broadcast_id = int(request.match_info["broadcast_id"])
    async with request.config_dict[session_pool_key]() as session:
        try:
            await broadcasts.get(session=session, actor_id=actor, broadcast_id=broadcast_id)
        except (broadcasts.BroadcastNotFoundError, broadcasts.OutOfScopeError, NotCuratorError):
            raise web.HTTPNotFound() from None
        state = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
        data, labels = await _reach(request, session, broadcast_id, state.total)
    points = data.points
    body = await asyncio.to_thread(
        charts.reach_svg,
        [point.at for point in points],
        [
            [point.counts.sent for point in points],
            [point.counts.blocked for point in points],
            [point.counts.failed for point in points],
        ],
        [labels.sent, labels.blocked, labels.failed],
        data.recipients,
        labels.title,
    )
    return web.Response(
        body=body, content_type="image/svg+xml", headers={"Content-Security-Policy": SVG_POLICY}
    )


@routes.get(ONE + "/report.csv")
async def broadcast_report(request: web.Request) -> web.Response:
    actor = _curator(request)
    broadcast_id = int(request.match_info["broadcast_id"])
    async with request.config_dict[session_pool_key]() as session:
        try:
            body = await broadcasts.report_csv(
                session=session, actor_id=actor, broadcast_id=broadcast_id
            )
        except (broadcasts.BroadcastNotFoundError, broadcasts.OutOfScopeError, NotCuratorError):
            raise web.HTTPNotFound() from None
    return web.Response(
        body=body,
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="broadcast-{broadcast_id}.csv"'},
    )


def _form_context(request: web.Request, form: dict[str, str], **extra: Any) -> dict[str, Any]:
    lang = language_of(request)
    return {
        "form": form,
        # the fixed topics, then the news topic of each UMO (Order 400, annex 2)
        "topics": [(entry.code, entry.name(lang)) for entry in TOPICS]
        + [
            (code, topic(code).name(lang))
            for code in (UMO_TOPIC_PREFIX + d for d in load_directory().directions)
        ],
        "regions": [(region.code, region.name(lang)) for region in REGIONS],
        "roles": ROLE_FILTERS,
        "count": None,
        "problems": [],
        **extra,
    }


@routes.get("/broadcasts/new")
async def new_broadcast(request: web.Request) -> web.Response:
    _curator(request)
    empty = dict.fromkeys(FIELDS, "") | {"topic": TOPICS[0].code}
    return render(request, "broadcast_new.html", _form_context(request, empty))


def _scheduled(request: web.Request, text: str) -> dt.datetime | None:
    """A ``datetime-local`` value read as Almaty time; None for "send now"."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise web.HTTPBadRequest() from None
    return value.replace(tzinfo=request.config_dict[settings_key].tz).astimezone(dt.UTC)


@routes.post("/broadcasts/new")
async def create_broadcast(request: web.Request) -> web.StreamResponse:
    actor = _curator(request)
    _ = gettext_of(request).gettext
    posted = await request.post()
    form = {key: str(posted.get(key) or "")[:TEXT_LIMIT] for key in (*FIELDS, "action")}
    content = {
        lang: {"type": "text", "text": form[f"text_{lang}"].strip()}
        for lang in ("kk", "ru")
        if form[f"text_{lang}"].strip()
    }
    audience = Audience(
        roles=(form["role"],) if form["role"] in ROLE_FILTERS else (),
        regions=(form["region"],) if form["region"] else (),
    )
    async with request.config_dict[session_pool_key]() as session:
        try:
            count = await broadcasts.count_recipients(
                session=session, actor_id=actor, topic=form["topic"], audience=audience
            )
            if form["action"] != "send":
                return render(
                    request, "broadcast_new.html", _form_context(request, form, count=count)
                )
            draft = await broadcasts.create_draft(
                session=session,
                actor_id=actor,
                content=content,
                topic=form["topic"],
                audience=audience,
                created_via="api",
            )
            assert draft.id is not None
            await broadcasts.start(
                session=session,
                actor_id=actor,
                broadcast_id=draft.id,
                at=_scheduled(request, form["at"]),
                now=now_utc(),
            )
        except broadcasts.BroadcastInputError as error:
            problems = [f"{field}: {code}" for field, code in error.problems]
            return render(
                request,
                "broadcast_new.html",
                _form_context(request, form, problems=problems),
                status=422,
            )
        except (broadcasts.OutOfScopeError, NotCuratorError):
            message = _("You may not open this page.")
            return render(
                request,
                "broadcast_new.html",
                _form_context(request, form, problems=[message]),
                status=403,
            )
    raise web.HTTPSeeOther(f"/console/broadcasts/{draft.id}")


@routes.get("/channels")
async def channels_page(request: web.Request) -> web.Response:
    """Channels the curator may post to, and each organisation's monthly duty in their reach:
    its day, and whether material came in this month (seed 003, section 3)."""
    actor = _curator(request)
    settings = request.config_dict[settings_key]
    month = local_month(now_utc(), settings)
    async with request.config_dict[session_pool_key]() as session:
        scope = await reach_of(session, actor)
        if scope is None:
            raise web.HTTPNotFound()
        channels = await list_channels(session, actor)
        organisations = [
            org
            for org in (await session.exec(select(Organisation).order_by(col(Organisation.name))))
            if covers(scope, org)
        ]
        posted = set(
            (
                await session.exec(
                    select(Submission.organisation_id).where(Submission.month == month)
                )
            ).all()
        )
    return render(
        request,
        "channels.html",
        {
            "month": month,
            "channels": channels,
            "duties": [
                {"name": org.name, "day": org.duty_day or "—", "posted": org.id in posted}
                for org in organisations
            ],
        },
    )
