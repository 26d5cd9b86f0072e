"""Organisations over HTTP: invitations, the roster import and the digest.

An "admin" token may do everything; an "org:<id>" token only what is under
``/api/v1/organisations/<id>`` (``backend.web.auth``), so creating and listing organisations is
for admins. Errors are problem+json; a roster file over the size limit is a 413.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, get_args

from aiohttp import web

from backend import staff
from backend.models import Invitation, Organisation, RosterEntry
from backend.rules.schema import OrgKind
from backend.staff.digest import Digest, DigestRow, digest_filename
from backend.staff.digest_schedule import (
    DigestSchedule,
    ScheduleInputError,
    check_schedule,
    schedule_of,
    set_schedule,
)
from backend.web.bodies import body_timeout, read_model, reply
from backend.web.keys import (
    now_of,
    roster_parser_key,
    ruleset_key,
    session_pool_key,
    settings_key,
    today_of,
)
from backend.web.operations import path_int
from backend.web.problems import ProblemError, iso, unprocessable
from backend.web.schemas import staff as s
from backend.web.schemas.staff import DigestScheduleInput, InvitationInput, OrganisationInput

BASE = "/api/v1/organisations"
ORG = BASE + "/{organisation_id}"
ORG_KINDS = get_args(OrgKind)
CSV_TYPES = ("text/csv", "text/plain", "application/csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_TYPES = (*CSV_TYPES, XLSX_TYPE, "application/octet-stream")
FILE_TYPES = {"csv": "text/csv", "xlsx": XLSX_TYPE}
READ_CHUNK = 64 * 1024


def _organisation_id(request: web.Request) -> int:
    return path_int(request, "organisation_id")


def _organisation_json(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "name": organisation.name,
        "kind": organisation.kind,
        "region": organisation.region,
    }


def _invitation_json(invitation: Invitation, now: dt.datetime) -> dict[str, Any]:
    expired = invitation.expires_at is not None and invitation.expires_at <= now
    used_up = invitation.max_uses is not None and invitation.uses >= invitation.max_uses
    return {
        "id": invitation.id,
        "role": invitation.role,
        "roster_entry_id": invitation.roster_entry_id,
        "max_uses": invitation.max_uses,
        "uses": invitation.uses,
        "expires_at": iso(invitation.expires_at),
        "revoked_at": iso(invitation.revoked_at),
        "active": invitation.revoked_at is None and not expired and not used_up,
    }


async def _existing(request: web.Request) -> Organisation:
    async with request.app[session_pool_key]() as session:
        try:
            return await staff.get_organisation(
                session=session, organisation_id=_organisation_id(request)
            )
        except staff.OrganisationNotFoundError:
            raise ProblemError(404, "Not Found", "no such organisation") from None


async def list_organisations(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        items = await staff.list_organisations(session=session)
    return reply(s.OrganisationList, {"items": [_organisation_json(item) for item in items]})


async def create_organisation(request: web.Request) -> web.Response:
    body = await read_model(request, OrganisationInput)
    if not body.name.strip():
        raise unprocessable(
            "the organisation is invalid", invalid=[{"field": "name", "code": "required"}]
        )
    async with request.app[session_pool_key]() as session:
        organisation = await staff.create_organisation(
            session=session, name=body.name, kind=body.kind, region=body.region
        )
    return reply(s.Organisation, _organisation_json(organisation), status=201)


async def get_organisation(request: web.Request) -> web.Response:
    organisation = await _existing(request)
    async with request.app[session_pool_key]() as session:
        entries = await staff.roster_entries(
            session=session, organisation_id=_organisation_id(request)
        )
    body = _organisation_json(organisation)
    body["roster_size"] = len(entries)
    body["roster_linked"] = sum(1 for entry in entries if entry.user_id is not None)
    return reply(s.Organisation, body)


async def create_invitation(request: web.Request) -> web.Response:
    await _existing(request)
    body = await read_model(request, InvitationInput)
    settings = request.app[settings_key]
    days = body.days or settings.staff.invitation_ttl_days
    max_uses = body.max_uses
    roster_entry_id = body.roster_entry_id
    role = body.role or (staff.TEACHER_ROLE if roster_entry_id else None)
    allowed = (
        (staff.TEACHER_ROLE,) if roster_entry_id else (*staff.STAFF_ROLES, staff.STUDENT_ROLE)
    )
    if role not in allowed:
        raise unprocessable(
            "role must be one of " + ", ".join(allowed), invalid=[{"field": "role"}]
        )
    organisation_id = _organisation_id(request)
    async with request.app[session_pool_key]() as session:
        if roster_entry_id is not None:
            try:
                created = await staff.roster_invitation(
                    session=session,
                    organisation_id=organisation_id,
                    roster_entry_id=roster_entry_id,
                    created_by=None,
                    ttl_days=days,
                )
            except LookupError:
                raise ProblemError(404, "Not Found", "no such roster entry") from None
        else:
            created = await staff.create_invitation(
                session=session,
                organisation_id=organisation_id,
                role=str(role),
                ttl_days=days,
                max_uses=max_uses,
            )
    answer = _invitation_json(created.invitation, now_of(request))
    answer["token"] = created.token  # shown only in this response
    answer["link"] = staff.invitation_link(settings.bot.username, created.token)
    return reply(s.CreatedInvitation, answer, status=201)


async def list_invitations(request: web.Request) -> web.Response:
    await _existing(request)
    async with request.app[session_pool_key]() as session:
        items = await staff.list_invitations(
            session=session, organisation_id=_organisation_id(request)
        )
    now = now_of(request)
    return reply(s.InvitationList, {"items": [_invitation_json(item, now) for item in items]})


async def revoke_invitation(request: web.Request) -> web.Response:
    async with request.app[session_pool_key]() as session:
        revoked = await staff.revoke_invitation(
            session=session,
            invitation_id=path_int(request, "invitation_id"),
            organisation_id=_organisation_id(request),
        )
    if not revoked:
        raise ProblemError(404, "Not Found", "no such invitation")
    return web.Response(status=204)


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        413, "Content Too Large", f"the roster file is over {limit} bytes", code="too_large"
    )


async def _roster_bytes(request: web.Request, limit: int) -> bytes:
    """The body, read no further than one byte past the limit."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    data = bytearray()
    try:
        async with asyncio.timeout(
            body_timeout(request)
        ):  # a body that never ends holds nothing long
            async for chunk in request.content.iter_chunked(READ_CHUNK):
                data += chunk
                if len(data) > limit:
                    raise _too_large(limit)
    except TimeoutError:
        raise ProblemError(408, "Request Timeout", "the file did not arrive in time") from None
    return bytes(data)


def _entry_json(entry: RosterEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "full_name": entry.full_name,
        "position_id": entry.position_id,
        "username": entry.username,
        "last_course_on": iso(entry.last_course_on),
        "category": entry.category,
        "linked": entry.user_id is not None,
    }


async def import_roster(request: web.Request) -> web.Response:
    await _existing(request)
    if request.content_type not in ROSTER_TYPES:
        raise ProblemError(
            415,
            "Unsupported Media Type",
            f"send the file as text/csv or {XLSX_TYPE}",
        )
    settings = request.app[settings_key]
    data = await _roster_bytes(request, settings.staff.roster_max_bytes)
    default_name = "roster.xlsx" if request.content_type == XLSX_TYPE else "roster.csv"
    filename = request.query.get("filename") or default_name
    async with request.app[session_pool_key]() as session:
        try:
            report = await staff.import_roster(
                session=session,
                organisation_id=_organisation_id(request),
                filename=filename,
                data=data,
                limits=settings.staff,
                ruleset=request.app[ruleset_key],
                today=today_of(request),
                parser=request.app[roster_parser_key],
            )
        except staff.RosterFileError as error:
            if error.code == "too_large" and error.detail == "time":
                raise ProblemError(
                    413, "Content Too Large", "the file is too complex to read", code="too_large"
                ) from None
            if error.code == "too_large":
                raise _too_large(settings.staff.roster_max_bytes) from None
            raise unprocessable(
                f"the roster file is refused: {error.code}"
                + (f" ({error.detail})" if error.detail else ""),
                code=error.code,
                limit_detail=error.detail,
            ) from None
    return reply(
        s.ImportReport,
        {
            "added": report.added,
            "updated": report.updated,
            "rows_total": report.rows_total,
            "errors": [
                {"line": item.line, "code": item.code, "detail": item.detail}
                for item in report.errors
            ],
        },
    )


async def list_roster(request: web.Request) -> web.Response:
    await _existing(request)
    async with request.app[session_pool_key]() as session:
        entries = await staff.roster_entries(
            session=session, organisation_id=_organisation_id(request)
        )
    return reply(s.Roster, {"items": [_entry_json(entry) for entry in entries]})


def _row_json(row: DigestRow) -> dict[str, Any]:
    return {
        "full_name": row.full_name,
        "position": row.position,
        "position_name": row.position_name,
        "last_course_on": iso(row.last_course_on),
        "due_on": iso(row.due_on),
        "days_left": row.days_left,
        "linked": row.linked,
    }


def _digest_json(report: Digest) -> dict[str, Any]:
    return {
        "organisation_id": report.organisation_id,
        "as_of": report.today.isoformat(),
        "due_soon_days": staff.DUE_SOON_DAYS,
        "total": report.total,
        "overdue": [_row_json(row) for row in report.overdue],
        "due_soon": [_row_json(row) for row in report.due_soon],
        "without_date": [_row_json(row) for row in report.without_date],
        "out_of_range": [_row_json(row) for row in report.out_of_range],
    }


async def digest(request: web.Request) -> web.Response:
    await _existing(request)
    file_format = request.query.get("format", "json")
    language = request.query.get("language", "ru")
    if file_format not in ("json", *FILE_TYPES) or language not in ("kk", "ru", "en"):
        raise unprocessable("format is json, csv or xlsx; language is kk, ru or en")
    async with request.app[session_pool_key]() as session:
        report = await staff.digest(
            session=session,
            organisation_id=_organisation_id(request),
            today=today_of(request),
            ruleset=request.app[ruleset_key],
        )
    if file_format == "json":
        return reply(s.Digest, _digest_json(report))
    csv_data, xlsx_data = staff.digest_files(report, language)
    filename = digest_filename(report, file_format)
    return web.Response(
        body=csv_data if file_format == "csv" else xlsx_data,
        content_type=FILE_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _schedule_json(schedule: DigestSchedule) -> dict[str, Any]:
    return {
        "enabled": schedule.enabled,
        "weekday": schedule.weekday,
        "time": schedule.at.strftime("%H:%M"),
        "own": schedule.own,
    }


async def get_digest_schedule(request: web.Request) -> web.Response:
    """When the organisation's weekly digest goes out (the console's "Weekly digest" page)."""
    await _existing(request)
    async with request.app[session_pool_key]() as session:
        schedule = await schedule_of(
            session=session,
            organisation_id=_organisation_id(request),
            defaults=request.app[settings_key].staff,
        )
    return reply(s.DigestSchedule, _schedule_json(schedule))


async def put_digest_schedule(request: web.Request) -> web.Response:
    await _existing(request)
    body = await read_model(request, DigestScheduleInput)
    try:
        weekday, at = check_schedule(
            weekday=str(body.weekday), time=body.time, delivery=request.app[settings_key].delivery
        )
    except ScheduleInputError as error:
        raise unprocessable(
            "time must be outside the quiet hours",
            invalid=[{"field": field, "code": code} for field, code in error.problems.items()],
        ) from None
    async with request.app[session_pool_key]() as session:
        schedule = await set_schedule(
            session=session,
            organisation_id=_organisation_id(request),
            enabled=body.enabled,
            weekday=weekday,
            at=at,
            by=None,
        )
    return reply(s.DigestSchedule, _schedule_json(schedule))
