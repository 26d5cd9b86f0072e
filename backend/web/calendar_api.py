"""The calendar over HTTP: testing windows and other dated events as rows an admin keeps.

``/api/v1/admin/calendar`` needs an admin token (``backend.web.auth``);
``/api/v1/calendar/next-testing-window`` is public (the windows are published dates) and answers
the next testing window, as "My courses" shows it.
Request and response bodies are pydantic models (validated in, serialised out).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from backend.calendars import service as calendars
from backend.calendars.windows import next_window
from backend.models import CalendarEvent
from backend.web.bodies import read_model
from backend.web.keys import session_pool_key, today_of
from backend.web.operations import path_int
from backend.web.problems import ProblemError, json_response

BASE = "/api/v1/admin/calendar"

EventKind = Literal["testing", "attestation", "other"]


class CalendarEventInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind = "testing"
    start: dt.date
    end: dt.date
    legal_basis: str = Field(min_length=1, max_length=calendars.MAX_BASIS)
    audience: str | None = Field(default=None, max_length=32)


class CalendarEventOut(BaseModel):
    id: int
    kind: str
    start: dt.date
    end: dt.date
    legal_basis: str
    audience: str | None


class CalendarEventList(BaseModel):
    items: list[CalendarEventOut]


class NextWindow(BaseModel):
    window: CalendarEventOut | None
    open_now: bool


def _out(record: CalendarEvent) -> CalendarEventOut:
    assert record.id is not None
    return CalendarEventOut(
        id=record.id,
        kind=record.kind,
        start=record.starts_on,
        end=record.ends_on,
        legal_basis=record.legal_basis,
        audience=record.audience,
    )


def _reply(model: BaseModel, status: int = 200) -> web.Response:
    return json_response(model.model_dump(mode="json"), status=status)


async def list_events(request: web.Request) -> web.Response:
    kind = request.query.get("kind")
    if kind is not None and kind not in calendars.KINDS:
        raise ProblemError(422, "Unprocessable Content", calendars.PROBLEMS["kind"])
    async with request.app[session_pool_key]() as session:
        records = await calendars.list_events(session=session, kind=kind)
    return _reply(CalendarEventList(items=[_out(record) for record in records]))


async def add_event(request: web.Request) -> web.Response:
    given = await read_model(request, CalendarEventInput)
    event = calendars.EventInput(
        kind=given.kind,
        starts_on=given.start,
        ends_on=given.end,
        legal_basis=given.legal_basis,
        audience=given.audience,
    )
    async with request.app[session_pool_key]() as session:
        try:
            record = await calendars.add_event(session=session, event=event)
        except calendars.CalendarInputError as exc:
            raise ProblemError(
                422, "Unprocessable Content", calendars.PROBLEMS[exc.code], code=exc.code
            ) from None
        except calendars.DuplicateEventError as exc:
            raise ProblemError(
                409,
                "Conflict",
                f"event {exc.existing_id} already has this kind, start and audience",
            ) from None
    return _reply(_out(record), status=201)


async def remove_event(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    async with request.app[session_pool_key]() as session:
        try:
            record = await calendars.remove_event(session=session, event_id=event_id)
        except calendars.EventNotFoundError:
            raise ProblemError(404, "Not Found", f"no calendar event {event_id}") from None
    return _reply(_out(record))


async def next_testing_window(request: web.Request) -> web.Response:
    today = today_of(request)
    audience = request.query.get("audience")
    async with request.app[session_pool_key]() as session:
        windows = await calendars.upcoming_testing_windows(
            session=session, since=today, audience=audience
        )
    window = next_window(windows, today)
    return _reply(
        NextWindow(
            window=_out(window) if window is not None else None,
            open_now=window is not None and window.starts_on <= today,
        )
    )
