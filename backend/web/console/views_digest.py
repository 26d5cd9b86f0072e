"""Staff page: the organisation's weekly digest settings (on or off, weekday, local time).

Open to the organisation's head, HR officer and methodist and to admins (``organisation_of``);
the scheduler reads the same settings (``backend.staff.digest_schedule``). A bad value is shown
next to its field, with the form as it was sent.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend.models import Organisation
from backend.staff.digest_schedule import (
    WEEKDAYS,
    DigestSchedule,
    ScheduleInputError,
    check_schedule,
    schedule_of,
    set_schedule,
)
from backend.web.console.context import gettext_of, render, viewer_key
from backend.web.console.views_staff import ORG, organisation_of
from backend.web.keys import session_pool_key, settings_key

routes = web.RouteTableDef()


def _context(
    request: web.Request,
    organisation: Organisation,
    form: dict[str, Any],
    *,
    problems: dict[str, str] | None = None,
    saved: bool = False,
    own: bool = False,
) -> dict[str, Any]:
    _ = gettext_of(request).gettext
    delivery = request.config_dict[settings_key].delivery
    reasons = {
        "invalid": _("Choose a value from the list."),
        "quiet": _(
            "Choose a time between {start} and {end}: messages are not sent at night."
        ).format(
            start=delivery.quiet_end.strftime("%H:%M"), end=delivery.quiet_start.strftime("%H:%M")
        ),
    }
    time_reasons = reasons | {"invalid": _("Write the time as HH:MM, for example 09:30.")}
    shown = {
        field: (time_reasons if field == "time" else reasons).get(code, code)
        for field, code in (problems or {}).items()
    }
    return {
        "org": organisation,
        "form": form,
        "weekdays": [(str(day), _(name)) for day, name in enumerate(WEEKDAYS)],
        "problems": shown,
        "saved": saved,
        "own": own,
    }


def _form(schedule: DigestSchedule) -> dict[str, Any]:
    return {
        "enabled": schedule.enabled,
        "weekday": str(schedule.weekday),
        "time": schedule.at.strftime("%H:%M"),
    }


@routes.get(ORG + "/digest")
async def digest_settings(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    assert organisation.id is not None
    async with request.config_dict[session_pool_key]() as session:
        schedule = await schedule_of(
            session=session,
            organisation_id=organisation.id,
            defaults=request.config_dict[settings_key].staff,
        )
    context = _context(
        request,
        organisation,
        _form(schedule),
        saved=request.query.get("saved") == "1",
        own=schedule.own,
    )
    return render(request, "digest.html", context)


@routes.post(ORG + "/digest")
async def save_digest_settings(request: web.Request) -> web.StreamResponse:
    organisation = await organisation_of(request)
    assert organisation.id is not None
    posted = await request.post()
    enabled = posted.get("enabled") == "on"
    weekday_text = str(posted.get("weekday") or "")[:4]
    time_text = str(posted.get("time") or "")[:8]
    form = {"enabled": enabled, "weekday": weekday_text, "time": time_text}
    settings = request.config_dict[settings_key]
    try:
        weekday, at = check_schedule(
            weekday=weekday_text, time=time_text, delivery=settings.delivery
        )
    except ScheduleInputError as error:
        context = _context(request, organisation, form, problems=error.problems)
        return render(request, "digest.html", context, status=422)
    async with request.config_dict[session_pool_key]() as session:
        await set_schedule(
            session=session,
            organisation_id=organisation.id,
            enabled=enabled,
            weekday=weekday,
            at=at,
            by=request[viewer_key].user_id,
        )
    raise web.HTTPSeeOther(f"/console/orgs/{organisation.id}/digest?saved=1")
