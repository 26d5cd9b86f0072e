"""Admin page: calendar events (testing and attestation windows): list, add, remove.

The same service and checks as the bot's ``/calendar`` (``backend.calendars``); a bad value is
shown next to its field with the form as sent. Anyone who is not an admin gets the same 404 as
a missing page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from backend.calendars import service as calendars
from backend.courses.validation import parse_date
from backend.web.console.context import gettext_of, language_of, render
from backend.web.console.views_admin import admin_only
from backend.web.keys import ruleset_key, session_pool_key

routes = web.RouteTableDef()
FIELDS = ("kind", "starts_on", "ends_on", "legal_basis", "audience")
PAGE = "/console/admin/calendars"


def _date(text: str) -> dt.date:
    """A date input's ISO value, or a typed DD.MM.YYYY; ``CalendarInputError`` otherwise."""
    try:
        return parse_date(text)
    except ValueError:
        raise calendars.CalendarInputError("date_format") from None


def _problem(request: web.Request, code: str) -> tuple[str, str]:
    """(the field it belongs to, the message) for a service's problem code."""
    _ = gettext_of(request).gettext
    texts = {
        "kind": ("kind", _("Choose a value from the list.")),
        "audience": ("audience", _("Choose a value from the list.")),
        "dates": ("ends_on", _("The end is before the start.")),
        "date_format": (
            "starts_on",
            _("Please type the dates as DD.MM.YYYY, for example 01.04.2027."),
        ),
        "span": ("ends_on", _("A window cannot be longer than a year.")),
        "basis": ("legal_basis", _("Please give the legal basis (the act that sets the dates).")),
    }
    return texts.get(code, ("kind", _("The request could not be understood.")))


def _labels(request: web.Request) -> tuple[dict[str, str], dict[str, str]]:
    """What a reader sees for each event kind and audience code: the organisation kinds' names
    come from the rules data, as in the bot's dialog."""
    _ = gettext_of(request).gettext
    kinds = {"testing": _("Testing"), "attestation": _("Attestation"), "other": _("Other")}
    lang = language_of(request)
    names = request.config_dict[ruleset_key].meta.org_kinds
    audiences = {
        code: names[code].get(lang) if code in names else _("University")
        for code in calendars.AUDIENCES
    }
    return kinds, audiences


async def _context(
    request: web.Request, form: dict[str, str], problems: dict[str, str]
) -> dict[str, Any]:
    async with request.config_dict[session_pool_key]() as session:
        events = await calendars.list_events(session=session)
    kind_labels, audience_labels = _labels(request)
    return {
        "events": [
            {
                "id": event.id,
                "kind": event.kind,
                "starts": event.starts_on.strftime("%d.%m.%Y"),
                "ends": event.ends_on.strftime("%d.%m.%Y"),
                "basis": event.legal_basis,
                "audience": event.audience,
            }
            for event in events
        ],
        "kinds": calendars.KINDS,
        "audiences": calendars.AUDIENCES,
        "kind_labels": kind_labels,
        "audience_labels": audience_labels,
        "form": form,
        "problems": problems,
        "added": request.query.get("added", "").isdigit(),
        "removed": request.query.get("removed", "").isdigit(),
    }


@routes.get("/admin/calendars")
async def calendar_page(request: web.Request) -> web.Response:
    admin_only(request)
    empty = dict.fromkeys(FIELDS, "") | {"kind": calendars.KINDS[0]}
    return render(request, "admin_calendars.html", await _context(request, empty, {}))


@routes.post("/admin/calendars")
async def add_event(request: web.Request) -> web.StreamResponse:
    admin_only(request)
    posted = await request.post()
    form = {key: str(posted.get(key) or "").strip()[: calendars.MAX_BASIS + 1] for key in FIELDS}
    try:
        starts_on = _date(form["starts_on"])
        ends_on = _date(form["ends_on"])
        event = calendars.EventInput(
            form["kind"], starts_on, ends_on, form["legal_basis"], form["audience"] or None
        )
        async with request.config_dict[session_pool_key]() as session:
            record = await calendars.add_event(session=session, event=event)
    except calendars.CalendarInputError as error:
        field, message = _problem(request, error.code)
        context = await _context(request, form, {field: message})
        return render(request, "admin_calendars.html", context, status=422)
    except calendars.DuplicateEventError as error:
        _ = gettext_of(request).gettext
        message = _("Event #{id} already has this kind, start and audience.").format(
            id=error.existing_id
        )
        context = await _context(request, form, {"starts_on": message})
        return render(request, "admin_calendars.html", context, status=409)
    raise web.HTTPSeeOther(f"{PAGE}?added={record.id}")


@routes.post(r"/admin/calendars/{event_id:\d{1,9}}/remove")
async def remove_event(request: web.Request) -> web.StreamResponse:
    admin_only(request)
    event_id = int(request.match_info["event_id"])
    async with request.config_dict[session_pool_key]() as session:
        try:
            await calendars.remove_event(session=session, event_id=event_id)
        except calendars.EventNotFoundError:
            raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(f"{PAGE}?removed={event_id}")
