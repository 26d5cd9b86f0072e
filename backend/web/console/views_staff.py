"""Staff pages: the roster table, one teacher's courses, roster upload, exports, invitations.

An organisation's pages are open to its head, HR officer and methodist, and to admins -- as the
API's "org:<id>" scope. Anyone else gets the same 404 as for an organisation that does not
exist, so the pages reveal nothing. Work is done by ``backend.staff`` and ``backend.courses``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web
from sqlmodel import col, select

from backend import staff
from backend.exports import to_csv, to_xlsx
from backend.models import CourseRecord, Organisation, RosterEntry
from backend.rules.loader import Ruleset
from backend.staff.roster_view import SORTS, STATUSES, RosterRow, counts, roster_rows, select_rows
from backend.staff.row_problems import row_problem_text
from backend.web.console.context import gettext_of, language_of, render, today, viewer_key
from backend.web.keys import ruleset_key, session_pool_key, settings_key

routes = web.RouteTableDef()
ORG = r"/orgs/{org_id:\d{1,9}}"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INVITATION_ROLES = ("teacher", "hr", "methodist", "head")
ROW_LIMIT = 500


async def organisation_of(request: web.Request) -> Organisation:
    """The organisation of the URL if the viewer is its staff or an admin; else 404."""
    viewer = request[viewer_key]
    org_id = int(request.match_info["org_id"])
    if not viewer.admin and org_id not in viewer.staff_of:
        raise web.HTTPNotFound()
    async with request.config_dict[session_pool_key]() as session:
        organisation = await session.get(Organisation, org_id)
    if organisation is None:
        raise web.HTTPNotFound()
    return organisation


def _position(ruleset: Ruleset, position_id: str | None, lang: str) -> str:
    if position_id and position_id in ruleset.positions:
        return f"{position_id} {ruleset.positions[position_id].name.get(lang)}"
    return position_id or "—"


def _date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _status_labels(request: web.Request) -> dict[str, str]:
    _ = gettext_of(request).gettext
    return {
        "overdue": _("Overdue"),
        "due_soon": _("Due within 90 days"),
        "valid": _("Valid"),
        "unknown": _("No course date"),
    }


def row_problem(request: web.Request, code: str, detail: str) -> str:
    """The reasons of the bot's roster report (``backend.staff.row_problems``); a duplicate names
    the line it repeats."""
    _ = gettext_of(request).gettext
    if code == "duplicate":
        return _("the same person is already on line {first}").format(first=detail)
    return row_problem_text(code, _)


async def roster_rows_of(request: web.Request, organisation_id: int) -> list[RosterRow]:
    async with request.config_dict[session_pool_key]() as session:
        return await roster_rows(
            session=session,
            organisation_id=organisation_id,
            today=today(request),
            ruleset=request.config_dict[ruleset_key],
        )


def _filters(request: web.Request) -> dict[str, str]:
    status = request.query.get("status", "")
    sort = request.query.get("sort", "name")
    return {
        "q": request.query.get("q", "")[:100],
        "status": status if status in STATUSES else "",
        "sort": sort if sort in SORTS else "name",
    }


async def roster_context(request: web.Request, organisation: Organisation) -> dict[str, Any]:
    assert organisation.id is not None
    ruleset: Ruleset = request.config_dict[ruleset_key]
    lang = language_of(request)
    everyone = await roster_rows_of(request, organisation.id)
    filters = _filters(request)
    shown = select_rows(
        everyone, query=filters["q"], status=filters["status"], sort=filters["sort"]
    )
    labels = _status_labels(request)
    table = [
        {
            "id": row.entry_id,
            "name": row.full_name,
            "position": _position(ruleset, row.position_id, lang),
            "category": ruleset.category_name(row.category, lang) if row.category else "—",  # type: ignore[arg-type]
            "last": _date(row.last_course_on),
            "due": _date(row.due_on),
            "status": row.status,
            "status_label": labels[row.status],
            "linked": row.user_id is not None,
        }
        for row in shown[:ROW_LIMIT]
    ]
    return {
        "org": organisation,
        "rows": table,
        "shown": len(shown),
        "total": len(everyone),
        "counts": counts(everyone),
        "labels": labels,
        "filters": filters,
        "statuses": STATUSES,
        "limited": len(shown) > ROW_LIMIT,
    }


@routes.get("/orgs")
async def organisations(request: web.Request) -> web.Response:
    viewer = request[viewer_key]
    async with request.config_dict[session_pool_key]() as session:
        query = select(Organisation).order_by(col(Organisation.name))
        if not viewer.admin:
            query = query.where(col(Organisation.id).in_(list(viewer.staff_of)))
        items = (await session.exec(query)).all()
    return render(request, "orgs.html", {"orgs": items})


@routes.get(ORG)
async def roster_page(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    return render(
        request, "roster.html", await roster_context(request, organisation) | {"report": None}
    )


@routes.post(ORG + "/roster")
async def upload_roster(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    assert organisation.id is not None
    _ = gettext_of(request).gettext
    form = await request.post()
    upload = form.get("file")
    settings = request.config_dict[settings_key]
    report: dict[str, Any]
    if not isinstance(upload, web.FileField):
        report = {"problem": _("Choose a .csv or .xlsx file first."), "errors": []}
    else:
        data = await asyncio.to_thread(upload.file.read, settings.staff.roster_max_bytes + 1)
        try:
            async with request.config_dict[session_pool_key]() as session:
                result = await staff.import_roster(
                    session=session,
                    organisation_id=organisation.id,
                    filename=upload.filename or "roster.csv",
                    data=data,
                    limits=settings.staff,
                    ruleset=request.config_dict[ruleset_key],
                    today=today(request),
                )
        except staff.RosterFileError as error:
            report = {"problem": file_problem(request, error.code, error.detail), "errors": []}
        else:
            report = {
                "problem": "",
                "summary": _(
                    "Roster imported: {added} added, {updated} updated, {rows} rows in the file."
                ).format(added=result.added, updated=result.updated, rows=result.rows_total),
                "errors": [
                    {
                        "line": item.line,
                        "reason": row_problem(request, item.code, item.detail),
                        "value": item.detail,
                    }
                    for item in result.errors
                ],
            }
    context = await roster_context(request, organisation)
    return render(request, "roster.html", context | {"report": report})


def file_problem(request: web.Request, code: str, detail: str) -> str:
    _ = gettext_of(request).gettext
    reasons = {
        "too_large": _("The file is too large."),
        "too_many_rows": _(
            "The file has too many rows: the limit is {rows}. Split the roster into several "
            "files and send them one by one."
        ).format(rows=request.config_dict[settings_key].staff.roster_max_rows),
        "no_header": _(
            "The file has no header row. The first row must name the columns: full name, "
            "position, Telegram username, last course date, category."
        ),
        "missing_columns": _(
            "Required columns are missing: {missing}. The first row must name the columns: "
            "full name, position, last course date, category (a Telegram username column is "
            "optional)."
        ).format(missing=detail or "?"),
    }
    return reasons.get(
        code,
        _("I could not read this file. Save it as .csv (UTF-8) or .xlsx and send it again."),
    )


@routes.get(ORG + r"/roster.{ext:csv|xlsx}")
async def export_roster(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    context = await roster_context(request, organisation)
    _ = gettext_of(request).gettext
    header = [
        _("Full name"),
        _("Position"),
        _("Category"),
        _("Last course"),
        _("Due"),
        _("Status"),
    ]
    everyone = select_rows(
        await roster_rows_of(request, int(request.match_info["org_id"])),
        query=context["filters"]["q"],
        status=context["filters"]["status"],
        sort=context["filters"]["sort"],
    )
    ruleset: Ruleset = request.config_dict[ruleset_key]
    lang = language_of(request)
    rows = [
        [
            row.full_name,
            _position(ruleset, row.position_id, lang),
            ruleset.category_name(row.category, lang) if row.category else "",  # type: ignore[arg-type]
            row.last_course_on,
            row.due_on,
            context["labels"][row.status],
        ]
        for row in everyone
    ]
    ext = request.match_info["ext"]
    body = await asyncio.to_thread(to_csv if ext == "csv" else to_xlsx, header, rows)
    return web.Response(
        body=body,
        content_type="text/csv" if ext == "csv" else XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="roster-{organisation.id}.{ext}"'},
    )


@routes.get(ORG + r"/teachers/{entry_id:\d{1,9}}")
async def teacher_page(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    ruleset: Ruleset = request.config_dict[ruleset_key]
    lang = language_of(request)
    async with request.config_dict[session_pool_key]() as session:
        entry = await session.get(RosterEntry, int(request.match_info["entry_id"]))
        if entry is None or entry.organisation_id != organisation.id:
            raise web.HTTPNotFound()
        courses = []
        if entry.user_id is not None:
            courses = list(
                (
                    await session.exec(
                        select(CourseRecord)
                        .where(CourseRecord.user_id == entry.user_id)
                        .order_by(col(CourseRecord.completed_on).desc())
                    )
                ).all()
            )
    return render(
        request,
        "teacher.html",
        {
            "org": organisation,
            "entry": entry,
            "position": _position(ruleset, entry.position_id, lang),
            "last": _date(entry.last_course_on),
            "courses": [
                {
                    "title": course.title,
                    "provider": course.provider,
                    "number": course.certificate_number or "—",
                    "hours": course.hours or "—",
                    "completed": _date(course.completed_on),
                    "certificate": bool(course.certificate_file_id),
                }
                for course in courses
            ],
        },
    )


@routes.get(ORG + "/invitations")
async def invitations_page(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    return render(request, "invitations.html", await _invitations(request, organisation, None))


async def _invitations(
    request: web.Request, organisation: Organisation, created: str | None
) -> dict[str, Any]:
    assert organisation.id is not None
    async with request.config_dict[session_pool_key]() as session:
        items = await staff.list_invitations(session=session, organisation_id=organisation.id)
    now = dt.datetime.now(dt.UTC)
    tz = request.config_dict[settings_key].tz
    return {
        "org": organisation,
        "created": created,
        "roles": INVITATION_ROLES,
        "invitations": [
            {
                "id": item.id,
                "role": item.role,
                "uses": item.uses,
                "max_uses": item.max_uses or "∞",
                "expires": item.expires_at.astimezone(tz).strftime("%d.%m.%Y")
                if item.expires_at
                else "—",
                "active": item.revoked_at is None
                and (item.expires_at is None or item.expires_at > now),
            }
            for item in items
        ],
    }


@routes.post(ORG + "/invitations")
async def create_invitation(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    assert organisation.id is not None
    form = await request.post()
    role = form.get("role")
    if role not in INVITATION_ROLES:
        raise web.HTTPBadRequest()
    settings = request.config_dict[settings_key]
    async with request.config_dict[session_pool_key]() as session:
        created = await staff.create_invitation(
            session=session,
            organisation_id=organisation.id,
            role=str(role),
            ttl_days=settings.staff.invitation_ttl_days,
            created_by=request[viewer_key].user_id,
        )
    link = staff.invitation_link(settings.bot.username, created.token)
    return render(request, "invitations.html", await _invitations(request, organisation, link))


@routes.post(ORG + r"/invitations/{invitation_id:\d{1,9}}/revoke")
async def revoke_invitation(request: web.Request) -> web.Response:
    organisation = await organisation_of(request)
    async with request.config_dict[session_pool_key]() as session:
        found = await staff.revoke_invitation(
            session=session,
            invitation_id=int(request.match_info["invitation_id"]),
            organisation_id=organisation.id,
        )
    if not found:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(f"/console/orgs/{organisation.id}/invitations")
