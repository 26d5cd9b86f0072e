"""Refresher courses of a teacher over HTTP: CRUD, the due date, an .ics calendar, a timeline.

Every route needs an API bearer token (``backend.web.auth``; ``sanat admin token create``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses import service as courses
from backend.courses.ics import render_calendar
from backend.courses.status import due_status
from backend.courses.testing import NOTICE_DAYS
from backend.courses.timeline import timeline_png
from backend.courses.validation import (
    CourseInputError,
    format_date,
    validate_changes,
    validate_course,
)
from backend.models import CourseRecord
from backend.pictures.catalog import catalog_for
from backend.web.bodies import read_model, reply
from backend.web.keys import now_of, ruleset_key, session_pool_key, settings_key, today_of
from backend.web.operations import path_int
from backend.web.problems import ProblemError
from backend.web.schemas import courses as c
from backend.web.schemas.common import INT64_MAX
from backend.web.schemas.courses import CourseInput

LANGUAGES = ("kk", "ru", "en")  # of the timeline picture's words


def _course_json(record: CourseRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "completed_on": record.completed_on.isoformat(),
        "completed_on_display": format_date(record.completed_on),
        "title": record.title,
        "provider": record.provider,
        "hours": record.hours,
        "certificate_number": record.certificate_number,
        "certificate_file_id": record.certificate_file_id,
        "certificate_sha256": record.certificate_sha256,
    }


def _invalid(exc: CourseInputError) -> ProblemError:
    return ProblemError(
        422,
        "Unprocessable Content",
        "the course is invalid",
        errors=[f"{field}: {code}" for field, code in exc.problems],
        invalid=[{"field": field, "code": code} for field, code in exc.problems],
    )


async def _user_id(session: AsyncSession, request: web.Request) -> int:
    telegram_id = path_int(request, "telegram_id", INT64_MAX)
    user_id = await courses.find_user_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        raise ProblemError(404, "Not Found", f"no user with telegram id {telegram_id}")
    return user_id


def _course_id(request: web.Request) -> int:
    return path_int(request, "course_id")


async def _body(request: web.Request) -> dict[str, Any]:
    """The fields the client sent (bounded by the model), for the course validators."""
    return (await read_model(request, CourseInput)).model_dump(exclude_unset=True)


async def list_courses(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        items = await courses.list_courses(session=session, user_id=user_id)
    return reply(
        c.CourseList, {"items": [_course_json(item) for item in items], "count": len(items)}
    )


async def add_course(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        course = validate_course(body, today_of(request))
    except CourseInputError as exc:
        raise _invalid(exc) from None
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        record = await courses.add_course(session=session, user_id=user_id, course=course)
    return reply(c.Course, _course_json(record), status=201)


async def edit_course(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        changes = validate_changes(body, today_of(request))
    except CourseInputError as exc:
        raise _invalid(exc) from None
    for required in ("completed_on", "title", "provider"):
        if required in changes and changes[required] is None:
            raise _invalid(CourseInputError([(required, "required")]))
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        try:
            record = await courses.edit_course(
                session=session, user_id=user_id, course_id=_course_id(request), changes=changes
            )
        except courses.CourseNotFoundError:
            raise ProblemError(404, "Not Found", "no such course") from None
    return reply(c.Course, _course_json(record))


async def delete_course(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        try:
            await courses.delete_course(
                session=session, user_id=user_id, course_id=_course_id(request)
            )
        except courses.CourseNotFoundError:
            raise ProblemError(404, "Not Found", "no such course") from None
    return web.Response(status=204)


async def _last_completion(request: web.Request) -> tuple[int, dt.date | None]:
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        return user_id, await courses.last_completion(session=session, user_id=user_id)


async def due(request: web.Request) -> web.Response:
    settings, ruleset = request.app[settings_key], request.app[ruleset_key]
    refresher = ruleset.meta.refresher
    _, last = await _last_completion(request)
    citation = refresher.citation.model_dump(mode="json", exclude_none=True)
    if last is None:
        return reply(
            c.CourseDue,
            {"due_on": None, "period_years": refresher.period_years, "citation": citation},
        )
    status = due_status(
        last,
        period_years=refresher.period_years,
        delivery=settings.delivery,
        tz=settings.tz,
        now=now_of(request),
    )
    return reply(
        c.CourseDue,
        {
            "last_completed_on": status.last_completed.isoformat(),
            "due_on": status.due.isoformat(),
            "due_on_display": format_date(status.due),
            "days_left": status.days_left,
            "overdue": status.overdue,
            "current_milestone": status.current.id if status.current else None,
            "milestones": [
                {
                    "id": item.milestone.id,
                    "on": item.milestone.on.isoformat(),
                    "send_at": item.send_at.isoformat(),
                    "reached": item.milestone.on <= status.today,
                }
                for item in status.ladder
            ],
            "period_years": refresher.period_years,
            "citation": citation,
            "quote": refresher.quote,
        },
    )


async def calendar(request: web.Request) -> web.Response:
    settings, ruleset = request.app[settings_key], request.app[ruleset_key]
    refresher = ruleset.meta.refresher
    user_id, last = await _last_completion(request)
    if last is None:
        raise ProblemError(404, "Not Found", "no course yet: nothing is due")
    now = now_of(request)
    delivery = settings.delivery
    body = render_calendar(
        user_id=user_id,
        last_completed=last,
        due=courses.due_date(last, refresher.period_years),
        period_years=refresher.period_years,
        act=refresher.citation.act,
        reminder_days=delivery.reminder_days,
        overdue_every_days=delivery.overdue_every_days,
        send_from=delivery.quiet_end,
        now=now,
        today=now.astimezone(settings.tz).date(),
        language=request.query.get("lang", "ru"),
        windows=refresher.testing_windows,
        window_notice_days=NOTICE_DAYS,
        testing_act=refresher.testing_citation.act,
    )
    return web.Response(
        body=body.encode("utf-8"),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="sanat-courses.ics"'},
    )


async def timeline(request: web.Request) -> web.Response:
    settings, ruleset = request.app[settings_key], request.app[ruleset_key]
    language = request.query.get("lang", "ru")
    if language not in LANGUAGES:
        raise ProblemError(400, "Bad Request", f"lang must be one of {', '.join(LANGUAGES)}")
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, request)
        items = await courses.list_courses(session=session, user_id=user_id)
        due_on = await courses.next_due(session=session, user_id=user_id, ruleset=ruleset)
    if not items:
        raise ProblemError(404, "Not Found", "no course yet: nothing to draw")
    body = await timeline_png(
        records=items,
        due=due_on,
        today=today_of(request),
        windows=ruleset.meta.refresher.testing_windows,
        catalog=catalog_for(settings.locales_dir, language),
    )
    return web.Response(
        body=body,
        content_type="image/png",
        headers={"Content-Disposition": 'inline; filename="timeline.png"'},
    )
