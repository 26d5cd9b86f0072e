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
from backend.web.bodies import read_model, reply
from backend.web.keys import now_of, session_pool_key, settings_key
from backend.web.operations import path_int
from backend.web.problems import ProblemError, iso, unprocessable
from backend.web.schemas import broadcasts as b
from backend.web.schemas.broadcasts import (
    AudienceBody,
    CuratorGrant,
    NewBroadcast,
    Schedule,
    ScopeBody,
)
from backend.web.schemas.common import (
    EARLIEST_TIME,
    INT32_MAX,
    LATEST_TIME,
    contains_controls,
)

BASE = "/api/v1/broadcasts"
ONE = BASE + "/{broadcast_id}"
CURATORS = "/api/v1/curators"
MAX_QUERY_ITEM = 64  # characters of one value of a query filter


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
        raise _MissingError(404, "Not Found", "no such broadcast") from exc
    except BroadcastStateError as exc:
        raise ProblemError(409, "Conflict", str(exc)) from exc
    except OutOfScopeError as exc:
        raise _OutOfScopeError(403, "Forbidden", str(exc)) from exc
    except curators.NotCuratorError as exc:
        raise ProblemError(403, "Forbidden", str(exc)) from exc


class _OutOfScopeError(ProblemError):
    """Outside the actor's scope."""


class _MissingError(ProblemError):
    """No such broadcast."""


def _int(value: str, field: str) -> int:
    """A row id from a query string: ASCII digits within the column's range."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > INT32_MAX:
        raise _invalid([(field, "invalid")])
    return int(value)


def _acting_curator(request: web.Request, named: int | str | None) -> int:
    """The person a create or preview acts as: the token's curator, or for an admin token the
    ``curator_id`` it names.
    """
    own = curator_of(request)
    if own is not None:
        return own
    if named is None:
        raise _invalid([("curator_id", "required")], "an admin token must name curator_id")
    return named if isinstance(named, int) else _int(named, "curator_id")


@asynccontextmanager
async def _as_owner(request: web.Request) -> AsyncIterator[tuple[AsyncSession, int, int]]:
    """A session, the actor and the broadcast id of a ``/broadcasts/<id>`` request.

    The actor is the token's curator, or for an admin token the broadcast's own curator.
    """
    own = curator_of(request)
    try:
        broadcast_id = path_int(request, "broadcast_id")
        async with request.app[session_pool_key]() as session:
            actor = own
            if actor is None:
                with _service_errors():
                    actor = await broadcasts.owner_of(session=session, broadcast_id=broadcast_id)
            yield session, actor, broadcast_id
    except ProblemError as exc:
        if own is None or exc.status not in (403, 404):
            raise
        # A curator gets the same answer for another curator's broadcast and a missing one,
        # so ids do not tell which broadcasts exist.
        raise ProblemError(403, "Forbidden", "no broadcast of yours has this id") from None


def _audience(data: AudienceBody | None) -> Audience:
    if data is None:
        return Audience()
    return Audience.from_json(data.model_dump())


def _send_at(request: web.Request, value: dt.datetime) -> dt.datetime:
    """An ISO time; without an offset it is read as Almaty time (what curators think in)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=request.app[settings_key].tz)
    try:
        moment = value.astimezone(dt.UTC)
    except OverflowError:  # year 1 with a positive offset falls before datetime.min
        raise _invalid([("send_at", "out_of_range")]) from None
    if not EARLIEST_TIME <= moment < LATEST_TIME:
        raise _invalid([("send_at", "out_of_range")])
    return moment


async def _send(
    session: AsyncSession,
    request: web.Request,
    actor: int,
    broadcast_id: int,
    body: Schedule,
) -> Broadcast:
    """Apply ``send_now`` / ``send_at`` of a request body; the broadcast as it is then."""
    at = _send_at(request, body.send_at) if body.send_at is not None else None
    with _service_errors():
        if at is not None or body.send_now is True:
            return await broadcasts.start(
                session=session,
                actor_id=actor,
                broadcast_id=broadcast_id,
                at=at,
                now=now_of(request),
            )
        return await broadcasts.get(session=session, actor_id=actor, broadcast_id=broadcast_id)


async def create_broadcast(request: web.Request) -> web.Response:
    body = await read_model(request, NewBroadcast)
    actor = _acting_curator(request, body.curator_id)
    if body.send_at is not None and body.send_now is True:
        raise _invalid([("send_at", "conflicts_with_send_now")])
    if body.send_at is not None and _send_at(request, body.send_at) <= now_of(request):
        # Checked before the draft exists, so a bad time leaves nothing behind.
        raise _invalid([("send_at", "past")])
    async with request.app[session_pool_key]() as session:
        with _service_errors():
            draft = await broadcasts.create_draft(
                session=session,
                actor_id=actor,
                content={
                    language: variant.model_dump(exclude_unset=True)
                    for language, variant in body.content.items()
                },
                topic=body.topic,
                audience=_audience(body.audience),
                channel_id=body.channel_id,
                created_via="api",
            )
        assert draft.id is not None
        broadcast = await _send(session, request, actor, draft.id, body)
    return reply(b.Broadcast, _broadcast_json(broadcast), status=201)


async def list_broadcasts(request: web.Request) -> web.Response:
    limit = min(max(_int(request.query.get("limit", "20"), "limit"), 1), 200)
    own = curator_of(request)
    async with request.app[session_pool_key]() as session:
        with _service_errors():
            if own is None:
                found = await broadcasts.list_all(session=session, limit=limit)
            else:
                found = await broadcasts.list_for(session=session, actor_id=own, limit=limit)
    return reply(
        b.BroadcastList, {"count": len(found), "items": [_broadcast_json(x) for x in found]}
    )


def _query_text(request: web.Request, name: str, default: str = "") -> str:
    """A query value, bounded and free of control characters (400 otherwise)."""
    raw = request.query.get(name, default)
    if len(raw) > MAX_QUERY_ITEM * 16 or contains_controls(raw):
        raise ProblemError(400, "Bad Request", f"{name} is too long or has control characters")
    return raw


def _split(request: web.Request, name: str) -> list[str]:
    raw = _query_text(request, name)
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if any(len(part) > MAX_QUERY_ITEM for part in parts):
        raise ProblemError(400, "Bad Request", f"a value of {name} is too long")
    return parts


async def count_broadcast_audience(request: web.Request) -> web.Response:
    actor = _acting_curator(request, request.query.get("curator_id"))
    topic = _query_text(request, "topic", "news")[:MAX_QUERY_ITEM]
    audience = Audience.from_json(
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
    return reply(b.AudienceCount, {"topic": topic, "audience": audience.to_json(), "count": count})


async def get_broadcast(request: web.Request) -> web.Response:
    async with _as_owner(request) as (session, actor, broadcast_id):
        with _service_errors():
            broadcast = await broadcasts.get(
                session=session, actor_id=actor, broadcast_id=broadcast_id
            )
            progress = await broadcasts.progress(
                session=session, broadcast_id=broadcast_id, now=now_of(request)
            )
    return reply(b.Broadcast, {**_broadcast_json(broadcast), "progress": _progress_json(progress)})


class _Transition(Protocol):
    def __call__(
        self, *, session: AsyncSession, actor_id: int, broadcast_id: int
    ) -> Awaitable[Broadcast]: ...


async def _transition(request: web.Request, action: _Transition) -> web.Response:
    """Pause, resume or cancel: the same request and answer around a different service call."""
    async with _as_owner(request) as (session, actor, broadcast_id):
        with _service_errors():
            broadcast = await action(session=session, actor_id=actor, broadcast_id=broadcast_id)
    return reply(b.Broadcast, _broadcast_json(broadcast))


async def pause_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.pause)


async def resume_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.resume)


async def cancel_broadcast(request: web.Request) -> web.Response:
    return await _transition(request, broadcasts.cancel)


async def schedule_broadcast(request: web.Request) -> web.Response:
    """Body ``{"send_at": ISO time}`` (Almaty when no offset) or ``{"send_now": true}``."""
    body = await read_model(request, Schedule)
    if body.send_at is None and body.send_now is not True:
        raise _invalid([("send_at", "required")], "give send_at or send_now: true")
    async with _as_owner(request) as (session, actor, broadcast_id):
        broadcast = await _send(session, request, actor, broadcast_id, body)
    return reply(b.Broadcast, _broadcast_json(broadcast))


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


def _scope(data: ScopeBody | None) -> curators.Scope:
    if data is None:
        return curators.Scope()
    return curators.Scope(
        kind=data.kind,
        regions=tuple(data.regions or ()),
        organisation_ids=tuple(data.organisation_ids or ()),
    )


async def _user_for(session: AsyncSession, body: CuratorGrant) -> int:
    if body.user_id is not None:
        return body.user_id
    if body.telegram_id is None:
        raise _invalid([("user_id", "required")], "give user_id or telegram_id")
    telegram_id = body.telegram_id
    user_id = await curators.user_id_by_telegram_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        raise ProblemError(404, "Not Found", f"no user with telegram id {telegram_id}")
    return user_id


async def grant_curator(request: web.Request) -> web.Response:
    body = await read_model(request, CuratorGrant)
    scope = _scope(body.scope)
    async with request.app[session_pool_key]() as session:
        user_id = await _user_for(session, body)
        with _service_errors():
            try:
                entry = await curators.grant_curator(session=session, user_id=user_id, scope=scope)
            except LookupError:
                raise ProblemError(404, "Not Found", f"no user {user_id}") from None
    return reply(b.Curator, _curator_json(entry), status=201)


async def list_curators(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        entries = await curators.list_curators(session=session)
    return reply(
        b.CuratorList, {"count": len(entries), "items": [_curator_json(e) for e in entries]}
    )


async def revoke_curator(request: web.Request) -> web.Response:
    user_id = path_int(request, "user_id")
    async with request.app[session_pool_key]() as session:
        revoked = await curators.revoke_curator(session=session, user_id=user_id)
    if not revoked:
        raise ProblemError(404, "Not Found", f"user {user_id} is not a curator")
    return web.Response(status=204)
