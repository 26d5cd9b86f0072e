"""Curator broadcasts and curators over HTTP.

Broadcasts: a "curator:<user id>" token acts as that curator (their scope, their broadcasts); an
"admin" token has no person behind it, so it creates and previews on behalf of a curator named in
the request (``curator_id``) and acts on an existing broadcast as its owner. Curators: admin
tokens only (``backend.web.auth`` keeps curator tokens out). Errors: 401 missing/bad token, 403
out of scope or not a curator, 404, 409 wrong state, 422 bad input — problem+json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Protocol

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import curators
from backend.broadcasts import service as broadcasts
from backend.broadcasts.service import (
    Audience,
    BroadcastInputError,
    BroadcastNotFoundError,
    BroadcastStateError,
    OutOfScopeError,
)
from backend.models import Broadcast
from backend.web.auth import curator_of
from backend.web.keys import now_of, session_pool_key, settings_key
from backend.web.problems import (
    ProblemError,
    iso,
    json_response,
    read_json_object,
    unprocessable,
)

routes = web.RouteTableDef()
BASE = "/api/v1/broadcasts"
ONE = BASE + r"/{broadcast_id:\d+}"
CURATORS = "/api/v1/curators"


def _broadcast_json(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "id": broadcast.id,
        "curator_id": broadcast.curator_id,
        "status": broadcast.status,
        "topic": broadcast.topic,
        "audience": broadcast.audience,
        "content": broadcast.content,
        "channel_id": broadcast.channel_id,
        "recipient_count": broadcast.recipient_count,
        "text_sha256": broadcast.text_sha256,
        "created_via": broadcast.created_via,
        "scheduled_at": iso(broadcast.scheduled_at),
        "started_at": iso(broadcast.started_at),
        "finished_at": iso(broadcast.finished_at),
        "created_at": iso(broadcast.created_at),
    }


def _progress_json(progress: broadcasts.Progress) -> dict[str, Any]:
    return {
        "total": progress.total,
        "sent": progress.sent,
        "failed": progress.failed,
        "blocked": progress.blocked,
        "cancelled": progress.cancelled,
        "remaining": progress.remaining,
        "eta_seconds": progress.eta_seconds,
    }


def _invalid(
    problems: list[tuple[str, str]], detail: str = "the request is invalid"
) -> ProblemError:
    return unprocessable(
        detail,
        errors=[f"{field}: {code}" for field, code in problems],
        invalid=[{"field": field, "code": code} for field, code in problems],
    )


@contextmanager
def _service_errors() -> Iterator[None]:
    """Service errors as problems: one mapping for every view."""
    try:
        yield
    except BroadcastInputError as exc:
        raise _invalid(exc.problems) from exc
    except curators.ScopeError as exc:
        raise _invalid([("scope", "invalid")], str(exc)) from exc
    except BroadcastNotFoundError as exc:
        raise ProblemError(404, "Not Found", "no such broadcast") from exc
    except BroadcastStateError as exc:
        raise ProblemError(409, "Conflict", str(exc)) from exc
    except (OutOfScopeError, curators.NotCuratorError) as exc:
        raise ProblemError(403, "Forbidden", str(exc)) from exc


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid([(field, "invalid")])
    try:
        return int(value)
    except ValueError:
        raise _invalid([(field, "invalid")]) from None


def _acting_curator(request: web.Request, named: object) -> int:
    """The person a create or preview acts as: the token's curator, or for an admin token the
    ``curator_id`` it names.
    """
    own = curator_of(request)
    if own is not None:
        return own
    if named is None:
        raise _invalid([("curator_id", "required")], "an admin token must name curator_id")
    return _int(named, "curator_id")


@asynccontextmanager
async def _as_owner(request: web.Request) -> AsyncIterator[tuple[AsyncSession, int, int]]:
    """A session, the actor and the broadcast id of a ``/broadcasts/<id>`` request.

    The actor is the token's curator, or for an admin token the broadcast's own curator.
    """
    broadcast_id = int(request.match_info["broadcast_id"])
    async with request.app[session_pool_key]() as session:
        actor = curator_of(request)
        if actor is None:
            with _service_errors():
                actor = await broadcasts.owner_of(session=session, broadcast_id=broadcast_id)
        yield session, actor, broadcast_id


def _audience(data: object) -> Audience:
    if data is None:
        return Audience()
    if not isinstance(data, dict):
        raise _invalid([("audience", "invalid")])
    for key in ("roles", "regions", "organisation_ids", "categories"):
        value = data.get(key)
        if value is not None and not isinstance(value, list):
            raise _invalid([(f"audience.{key}", "invalid")])
    try:
        return Audience.from_json(data)
    except (TypeError, ValueError):
        raise _invalid([("audience.organisation_ids", "invalid")]) from None


def _send_at(request: web.Request, value: object) -> dt.datetime:
    """An ISO time; without an offset it is read as Almaty time (what curators think in)."""
    if not isinstance(value, str):
        raise _invalid([("send_at", "invalid")])
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _invalid([("send_at", "invalid")]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=request.app[settings_key].tz)
    return parsed.astimezone(dt.UTC)


async def _send(
    session: AsyncSession,
    request: web.Request,
    actor: int,
    broadcast_id: int,
    body: dict[str, Any],
) -> Broadcast:
    """Apply ``send_now`` / ``send_at`` of a request body; the broadcast as it is then."""
    at = _send_at(request, body["send_at"]) if body.get("send_at") is not None else None
    with _service_errors():
        if at is not None or body.get("send_now") is True:
            return await broadcasts.start(
                session=session,
                actor_id=actor,
                broadcast_id=broadcast_id,
                at=at,
                now=now_of(request),
            )
        return await broadcasts.get(session=session, actor_id=actor, broadcast_id=broadcast_id)


@routes.post(BASE)
async def create_broadcast(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    actor = _acting_curator(request, body.get("curator_id"))
    channel_id = body.get("channel_id")
    topic = body.get("topic", "news")
    if not isinstance(topic, str):
        raise _invalid([("topic", "invalid")])
    if body.get("send_at") is not None and body.get("send_now") is True:
        raise _invalid([("send_at", "conflicts_with_send_now")])
    if body.get("send_at") is not None and _send_at(request, body["send_at"]) <= now_of(request):
        # Checked before the draft exists, so a bad time leaves nothing behind.
        raise _invalid([("send_at", "past")])
    async with request.app[session_pool_key]() as session:
        with _service_errors():
            draft = await broadcasts.create_draft(
                session=session,
                actor_id=actor,
                content=body.get("content"),  # type: ignore[arg-type]  # validated by the service
                topic=topic,
                audience=_audience(body.get("audience")),
                channel_id=None if channel_id is None else _int(channel_id, "channel_id"),
                created_via="api",
            )
        assert draft.id is not None
        broadcast = await _send(session, request, actor, draft.id, body)
    return json_response(_broadcast_json(broadcast), status=201)


@routes.get(BASE)
async def list_broadcasts(request: web.Request) -> web.Response:
    limit = min(max(_int(request.query.get("limit", "20"), "limit"), 1), 200)
    own = curator_of(request)
    async with request.app[session_pool_key]() as session:
        with _service_errors():
            if own is None:
                found = await broadcasts.list_all(session=session, limit=limit)
            else:
                found = await broadcasts.list_for(session=session, actor_id=own, limit=limit)
    return json_response({"count": len(found), "items": [_broadcast_json(b) for b in found]})


def _split(request: web.Request, name: str) -> list[str]:
    raw = request.query.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


@routes.get(BASE + "/count")
async def count_broadcast_audience(request: web.Request) -> web.Response:
    actor = _acting_curator(request, request.query.get("curator_id"))
    topic = request.query.get("topic", "news")
    audience = _audience(
        {
            "roles": _split(request, "roles"),
            "regions": _split(request, "regions"),
            "organisation_ids": [
                _int(i, "organisation_ids") for i in _split(request, "organisation_ids")
            ],
            "categories": _split(request, "categories"),
        }
    )
    async with request.app[session_pool_key]() as session:
        with _service_errors():
            count = await broadcasts.count_recipients(
                session=session, actor_id=actor, topic=topic, audience=audience
            )
    return json_response({"topic": topic, "audience": audience.to_json(), "count": count})


@routes.get(ONE)
async def get_broadcast(request: web.Request) -> web.Response:
    async with _as_owner(request) as (session, actor, broadcast_id):
        with _service_errors():
            broadcast = await broadcasts.get(
                session=session, actor_id=actor, broadcast_id=broadcast_id
            )
            progress = await broadcasts.progress(
                session=session, broadcast_id=broadcast_id, now=now_of(request)
            )
    return json_response({**_broadcast_json(broadcast), "progress": _progress_json(progress)})


class _Transition(Protocol):
    def __call__(
        self, *, session: AsyncSession, actor_id: int, broadcast_id: int
    ) -> Awaitable[Broadcast]: ...


async def _transition(request: web.Request, action: _Transition) -> web.Response:
    """Pause, resume or cancel: the same request and answer around a different service call."""
    async with _as_owner(request) as (session, actor, broadcast_id):
        with _service_errors():
            broadcast = await action(session=session, actor_id=actor, broadcast_id=broadcast_id)
    return json_response(_broadcast_json(broadcast))


@routes.post(ONE + "/pause")
async def pause_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.pause)


@routes.post(ONE + "/resume")
async def resume_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.resume)


@routes.post(ONE + "/cancel")
async def cancel_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.cancel)


@routes.post(ONE + "/schedule")
async def schedule_broadcast(request: web.Request) -> web.Response:
    """Body ``{"send_at": ISO time}`` (Almaty when no offset) or ``{"send_now": true}``."""
    body = await read_json_object(request)
    if body.get("send_at") is None and body.get("send_now") is not True:
        raise _invalid([("send_at", "required")], "give send_at or send_now: true")
    async with _as_owner(request) as (session, actor, broadcast_id):
        broadcast = await _send(session, request, actor, broadcast_id, body)
    return json_response(_broadcast_json(broadcast))


@routes.get(ONE + "/report.csv")
async def broadcast_report(request: web.Request) -> web.Response:
    async with _as_owner(request) as (session, actor, broadcast_id):
        with _service_errors():
            data = await broadcasts.report_csv(
                session=session, actor_id=actor, broadcast_id=broadcast_id
            )
    return web.Response(
        body=data,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="broadcast-{broadcast_id}.csv"'},
    )


# --- curators (admin tokens only) ---------------------------------------------------------


def _scope_json(scope: curators.Scope) -> dict[str, Any]:
    return {
        "kind": scope.kind,
        "regions": list(scope.regions),
        "organisation_ids": list(scope.organisation_ids),
    }


def _curator_json(entry: curators.CuratorEntry) -> dict[str, Any]:
    return {
        "user_id": entry.user.id,
        "telegram_id": entry.user.telegram_id,
        "full_name": entry.user.full_name,
        "username": entry.user.username,
        "scope": _scope_json(entry.scope),
    }


def _scope(data: object) -> curators.Scope:
    if data is None:
        return curators.Scope()
    if not isinstance(data, dict) or data.get("kind", "everyone") not in (
        "everyone",
        "region",
        "orgs",
    ):
        raise _invalid([("scope.kind", "unknown")])
    regions, orgs = data.get("regions") or [], data.get("organisation_ids") or []
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise _invalid([("scope.regions", "invalid")])
    if not isinstance(orgs, list):
        raise _invalid([("scope.organisation_ids", "invalid")])
    return curators.Scope(
        kind=data.get("kind", "everyone"),
        regions=tuple(regions),
        organisation_ids=tuple(_int(i, "scope.organisation_ids") for i in orgs),
    )


async def _user_for(session: AsyncSession, body: dict[str, Any]) -> int:
    if body.get("user_id") is not None:
        return _int(body["user_id"], "user_id")
    if body.get("telegram_id") is None:
        raise _invalid([("user_id", "required")], "give user_id or telegram_id")
    telegram_id = _int(body["telegram_id"], "telegram_id")
    user_id = await curators.user_id_by_telegram_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        raise ProblemError(404, "Not Found", f"no user with telegram id {telegram_id}")
    return user_id


@routes.post(CURATORS)
async def grant_curator(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    scope = _scope(body.get("scope"))
    async with request.app[session_pool_key]() as session:
        user_id = await _user_for(session, body)
        with _service_errors():
            try:
                entry = await curators.grant_curator(session=session, user_id=user_id, scope=scope)
            except LookupError:
                raise ProblemError(404, "Not Found", f"no user {user_id}") from None
    return json_response(_curator_json(entry), status=201)


@routes.get(CURATORS)
async def list_curators(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        entries = await curators.list_curators(session=session)
    return json_response({"count": len(entries), "items": [_curator_json(e) for e in entries]})


@routes.delete(CURATORS + r"/{user_id:\d+}")
async def revoke_curator(request: web.Request) -> web.Response:
    user_id = int(request.match_info["user_id"])
    async with request.app[session_pool_key]() as session:
        revoked = await curators.revoke_curator(session=session, user_id=user_id)
    if not revoked:
        raise ProblemError(404, "Not Found", f"user {user_id} is not a curator")
    return web.Response(status=204)
