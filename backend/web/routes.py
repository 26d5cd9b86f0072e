"""The route table: every operation of the HTTP API once, with its bodies and auth.

``create_app`` registers the handlers from it and ``backend.web.openapi`` generates the
document from it, so a route cannot exist undocumented. ``auth`` is informative (the document's
notes and security); the check itself is ``backend.web.auth`` by path prefix.
"""

from __future__ import annotations

from backend.metrics import CONTENT_TYPE as METRICS_TYPE
from backend.staff.weekly_digest import DUE_SOON_DAYS
from backend.web import (
    broadcasts_api,
    calendar_api,
    checkins_api,
    courses_api,
    health,
    openapi,
    rules_api,
    staff_api,
    summary_api,
    tokens_api,
    university_api,
)
from backend.web.operations import TELEGRAM_ID, Operation, Param, row_id
from backend.web.schemas import broadcasts as b
from backend.web.schemas import courses as c
from backend.web.schemas import rules as r
from backend.web.schemas import staff as s
from backend.web.schemas import tokens as t
from backend.web.schemas.common import Health, Readiness
from backend.web.staff_api import XLSX_TYPE

BINARY = {"type": "string", "format": "binary"}
PROTECTED = (400, 401, 403)

COURSES = "/api/v1/users/{telegram_id}/courses"
TELEGRAM = Param("telegram_id", schema=TELEGRAM_ID)
COURSE_PARAMS = (TELEGRAM, row_id("course_id"))
ORGS = "/api/v1/organisations"
ORG = ORGS + "/{organisation_id}"
ORG_ID = row_id("organisation_id")
BROADCASTS = "/api/v1/broadcasts"
ONE = BROADCASTS + "/{broadcast_id}"
BROADCAST_ID = row_id("broadcast_id")
CURATORS = "/api/v1/curators"
TOKENS = "/api/v1/admin/tokens"
CALENDAR = "/api/v1/admin/calendar"


def _query(name: str, schema: dict[str, object], description: str = "") -> Param:
    return Param(name, where="query", schema=schema, description=description)


def _line(max_length: int) -> dict[str, object]:
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00-\\x1f\\x7f]*$"}


def _action(name: str, summary: str) -> Operation:
    return Operation(
        "POST",
        ONE + "/" + name,
        getattr(broadcasts_api, f"{name}_broadcast"),
        summary,
        {200: b.Broadcast, **dict.fromkeys((*PROTECTED, 404, 409))},
        auth="curator",
        params=(BROADCAST_ID,),
    )


OPERATIONS: list[Operation] = [
    Operation(
        "GET",
        "/healthz",
        health.healthz,
        "Liveness and readiness: version, database reachability and revision, ruleset.",
        {200: Health, 503: Health},
    ),
    Operation(
        "GET",
        "/readyz",
        health.readyz,
        "Readiness: the database answers and is migrated to head; Redis answers when "
        "configured. 503 names what is not ready.",
        {200: Readiness, 503: None},
    ),
    Operation(
        "GET",
        "/metrics",
        health.metrics,
        "Prometheus metrics (text exposition format): sends by result, 429 pauses, outbox "
        "depth, sweeps, broadcast progress, database pool.",
        {200: METRICS_TYPE},
    ),
    Operation(
        "GET",
        "/api/v1/openapi.json",
        openapi.openapi,
        "This document.",
        {200: {"application/json": {"type": "object"}}},
    ),
    Operation(
        "GET",
        "/api/v1/positions",
        rules_api.list_positions,
        "List or search positions (kk or ru; typos and Kazakh letters typed on a Russian "
        "keyboard are tolerated).",
        {200: r.PositionList, 400: None},
        params=(
            _query("q", _line(r.MAX_QUERY)),
            _query("org_kind", _line(32)),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": rules_api.MAX_LIMIT}),
        ),
    ),
    Operation(
        "GET",
        "/api/v1/positions/{position_id}",
        rules_api.get_position,
        "A position: routes, ladder, competencies, citations, verbatim clauses.",
        {200: r.Position, 404: None},
        params=(Param("position_id", schema={"type": "string", "examples": ["3.7"]}),),
    ),
    Operation(
        "GET",
        "/api/v1/rules/changes",
        rules_api.rule_changes,
        "Ruleset versions, newest first, each with its changes to the previous one: positions, "
        "clause citation, what changed and why (kk/ru).",
        {200: {"application/json": {"type": "object"}}},
    ),
    Operation(
        "POST",
        "/api/v1/assessments/evaluate",
        rules_api.evaluate,
        "Evaluate answers for a position (an estimate, never a decision).",
        {200: r.Outcome, **dict.fromkeys((400, 404, 413, 415, 422))},
        body=r.EvaluateRequest,
    ),
    Operation(
        "POST",
        "/api/v1/assessments/next-question",
        rules_api.next_question,
        "The next fact still needed for the position (null when none).",
        {200: r.NextQuestion, **dict.fromkeys((400, 404, 413, 415, 422))},
        body=r.EvaluateRequest,
    ),
    Operation(
        "GET",
        "/api/v1/assessments/{assessment_id}.pdf",
        summary_api.assessment_pdf,
        "A stored self-assessment as a printable PDF in its owner's language (or ?language=kk|"
        "ru|en): for its owner signed in to the console (session cookie) or an admin token; "
        "anyone else gets the same 404 as for a missing one.",
        {200: {"application/pdf": BINARY}, **dict.fromkeys((401, 404, 422))},
        # Not behind the token middleware: the handler itself accepts the owner's console
        # session or an "admin" token (Authorization: Bearer), and nothing else.
        params=(
            row_id("assessment_id"),
            _query("language", {"type": "string", "enum": ["kk", "ru", "en"]}),
        ),
    ),
    # --- courses -----------------------------------------------------------------------------
    Operation(
        "GET",
        COURSES,
        courses_api.list_courses,
        "A teacher's refresher courses, newest first.",
        {200: c.CourseList, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(TELEGRAM,),
    ),
    Operation(
        "POST",
        COURSES,
        courses_api.add_course,
        "Add a course (dates DD.MM.YYYY, D.M.YYYY or YYYY-MM-DD; not in the future in "
        "Asia/Almaty, not before 1991).",
        {201: c.Course, **dict.fromkeys((*PROTECTED, 404, 413, 415, 422))},
        auth="admin",
        body=c.CourseInput,
        params=(TELEGRAM,),
    ),
    Operation(
        "PATCH",
        COURSES + "/{course_id}",
        courses_api.edit_course,
        "Change some fields of a course; a new date recomputes the reminders.",
        {200: c.Course, **dict.fromkeys((*PROTECTED, 404, 413, 415, 422))},
        auth="admin",
        body=c.CourseInput,
        params=COURSE_PARAMS,
    ),
    Operation(
        "DELETE",
        COURSES + "/{course_id}",
        courses_api.delete_course,
        "Delete a course.",
        {204: None, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=COURSE_PARAMS,
    ),
    Operation(
        "GET",
        COURSES + "/due",
        courses_api.due,
        "The next due date (period and citation from the rules data), days left and the "
        "reminder ladder with send times (UTC).",
        {200: c.CourseDue, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(TELEGRAM,),
    ),
    Operation(
        "GET",
        COURSES + "/calendar.ics",
        courses_api.calendar,
        "An RFC 5545 calendar: the due date with the reminders as alarms, and the coming "
        "national qualification testing windows.",
        {200: "text/calendar", **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(TELEGRAM, _query("lang", {"enum": ["kk", "ru"]})),
    ),
    Operation(
        "GET",
        COURSES + "/timeline.png",
        courses_api.timeline,
        "A PNG timeline, 960 px wide: the years, each course (date and title), the three-year "
        "cycle as a band (green while valid, orange in its last 90 days, red once overdue), "
        "today, the due date and the next national testing window, labelled in the chosen "
        "language.",
        {200: {"image/png": BINARY}, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(
            TELEGRAM,
            Param(
                "lang",
                where="query",
                schema={"enum": ["kk", "ru", "en"], "default": "ru"},
                description="the language of the picture's words",
            ),
        ),
    ),
    # --- organisations -----------------------------------------------------------------------
    Operation(
        "GET",
        ORGS,
        staff_api.list_organisations,
        "All organisations.",
        {200: s.OrganisationList, **dict.fromkeys(PROTECTED)},
        auth="admin",
    ),
    Operation(
        "POST",
        ORGS,
        staff_api.create_organisation,
        "Create an organisation.",
        {201: s.Organisation, **dict.fromkeys((*PROTECTED, 413, 415, 422))},
        auth="admin",
        body=s.OrganisationInput,
    ),
    Operation(
        "GET",
        ORG,
        staff_api.get_organisation,
        "An organisation, with its roster size.",
        {200: s.Organisation, **dict.fromkeys((*PROTECTED, 404))},
        auth="org",
        params=(ORG_ID,),
    ),
    Operation(
        "GET",
        ORG + "/invitations",
        staff_api.list_invitations,
        "The organisation's invitation links, newest first (never the tokens).",
        {200: s.InvitationList, **dict.fromkeys((*PROTECTED, 404))},
        auth="org",
        params=(ORG_ID,),
    ),
    Operation(
        "POST",
        ORG + "/invitations",
        staff_api.create_invitation,
        "Create an invitation link (t.me/<bot>?start=<token>); the token is in this answer "
        "only. With roster_entry_id: a single-use link for that teacher.",
        {201: s.CreatedInvitation, **dict.fromkeys((*PROTECTED, 404, 413, 415, 422))},
        auth="org",
        body=s.InvitationInput,
        params=(ORG_ID,),
    ),
    Operation(
        "DELETE",
        ORG + "/invitations/{invitation_id}",
        staff_api.revoke_invitation,
        "Revoke an invitation: its link stops working.",
        {204: None, **dict.fromkeys((*PROTECTED, 404))},
        auth="org",
        params=(ORG_ID, row_id("invitation_id")),
    ),
    Operation(
        "GET",
        ORG + "/roster",
        staff_api.list_roster,
        "The roster, by name.",
        {200: s.Roster, **dict.fromkeys((*PROTECTED, 404))},
        auth="org",
        params=(ORG_ID,),
    ),
    Operation(
        "POST",
        ORG + "/roster",
        staff_api.import_roster,
        "Import a roster file (CSV in UTF-8 or Windows-1251, comma or semicolon; or XLSX). "
        "Columns (kk/ru/en headers): full name, position id or name, Telegram username "
        "(optional), last course date, category. Good rows are added or updated by name; bad "
        "rows are reported with their line numbers. A file over the size or row limit, "
        "unreadable or without the columns imports nothing.",
        {200: s.ImportReport, **dict.fromkeys((*PROTECTED, 404, 408, 413, 415, 422))},
        auth="org",
        body={"text/csv": {"type": "string"}, XLSX_TYPE: BINARY},
        params=(
            ORG_ID,
            _query("filename", _line(128), "the file's name (its extension picks CSV or XLSX)"),
        ),
    ),
    Operation(
        "GET",
        ORG + "/digest",
        staff_api.digest,
        f"Who is overdue and who is due within {DUE_SOON_DAYS} days, as JSON or as a "
        "formula-safe CSV/XLSX file.",
        {
            200: {"application/json": s.Digest, "text/csv": {"type": "string"}, XLSX_TYPE: BINARY},
            **dict.fromkeys((*PROTECTED, 404, 422)),
        },
        auth="org",
        params=(
            ORG_ID,
            _query("format", {"enum": ["json", "csv", "xlsx"]}),
            _query("language", {"enum": ["kk", "ru", "en"]}),
        ),
    ),
    # --- broadcasts and curators -------------------------------------------------------------
    Operation(
        "POST",
        BROADCASTS,
        broadcasts_api.create_broadcast,
        "Create a broadcast; send it now or schedule it.",
        {201: b.Broadcast, **dict.fromkeys((*PROTECTED, 404, 409, 413, 415, 422))},
        auth="curator",
        body=b.NewBroadcast,
    ),
    Operation(
        "GET",
        BROADCASTS,
        broadcasts_api.list_broadcasts,
        "Broadcasts of the token's curator (an admin token: everyone's).",
        {200: b.BroadcastList, **dict.fromkeys((*PROTECTED, 422))},
        auth="curator",
        params=(_query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),),
    ),
    Operation(
        "GET",
        BROADCASTS + "/count",
        broadcasts_api.count_broadcast_audience,
        "How many people an audience reaches now (inside the curator's scope); lists are "
        "comma-separated.",
        {200: b.AudienceCount, **dict.fromkeys((*PROTECTED, 404, 422))},
        auth="curator",
        params=(
            *(
                _query(name, _line(256))
                for name in ("topic", "roles", "regions", "organisation_ids", "categories")
            ),
            _query("curator_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
        ),
    ),
    Operation(
        "GET",
        ONE,
        broadcasts_api.get_broadcast,
        "A broadcast with its progress.",
        {200: b.Broadcast, **dict.fromkeys((*PROTECTED, 404))},
        auth="curator",
        params=(BROADCAST_ID,),
    ),
    _action("pause", "Pause sending (pending messages are held)."),
    _action("resume", "Resume a paused broadcast."),
    _action("cancel", "Cancel: nothing more is sent."),
    Operation(
        "POST",
        ONE + "/schedule",
        broadcasts_api.schedule_broadcast,
        "Schedule (send_at; Almaty time without an offset) or send now.",
        {200: b.Broadcast, **dict.fromkeys((*PROTECTED, 404, 409, 413, 415, 422))},
        auth="curator",
        body=b.Schedule,
        params=(BROADCAST_ID,),
    ),
    Operation(
        "GET",
        ONE + "/report.csv",
        broadcasts_api.broadcast_report,
        "Per-recipient report as CSV.",
        {200: "text/csv", **dict.fromkeys((*PROTECTED, 404))},
        auth="curator",
        params=(BROADCAST_ID,),
    ),
    Operation(
        "GET",
        CURATORS,
        broadcasts_api.list_curators,
        "Curators and their scopes.",
        {200: b.CuratorList, **dict.fromkeys(PROTECTED)},
        auth="admin",
    ),
    Operation(
        "POST",
        CURATORS,
        broadcasts_api.grant_curator,
        "Grant the curator role with a scope.",
        {201: b.Curator, **dict.fromkeys((*PROTECTED, 404, 413, 415, 422))},
        auth="admin",
        body=b.CuratorGrant,
    ),
    Operation(
        "DELETE",
        CURATORS + "/{user_id}",
        broadcasts_api.revoke_curator,
        "Revoke the curator role.",
        {204: None, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(row_id("user_id"),),
    ),
    # --- admin tokens ------------------------------------------------------------------------
    Operation(
        "GET",
        TOKENS,
        tokens_api.list_tokens,
        "Every API token (never the tokens themselves).",
        {200: t.TokenList, **dict.fromkeys(PROTECTED)},
        auth="admin",
    ),
    Operation(
        "POST",
        TOKENS,
        tokens_api.create_token,
        'Create a token; the answer is the only time its text is shown. Scope "admin", '
        '"curator:<user id>" or "org:<organisation id>".',
        {201: t.CreatedToken, **dict.fromkeys((*PROTECTED, 413, 415, 422))},
        auth="admin",
        body=t.TokenInput,
    ),
    Operation(
        "DELETE",
        TOKENS + "/{token_id}",
        tokens_api.revoke_token,
        "Revoke a token: it stops working at once.",
        {200: t.ApiToken, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(row_id("token_id"),),
    ),
    # --- calendar, post-course check-ins, university staff (issue 12) ----------------------
    Operation(
        "GET",
        CALENDAR,
        calendar_api.list_events,
        "Dated events (national testing windows and others), oldest first.",
        {200: calendar_api.CalendarEventList, **dict.fromkeys((*PROTECTED, 422))},
        auth="admin",
        params=(_query("kind", {"type": "string", "enum": ["testing", "attestation", "other"]}),),
    ),
    Operation(
        "POST",
        CALENDAR,
        calendar_api.add_event,
        "Add a dated event (both days inclusive, Asia/Almaty) with its legal basis; an audience "
        "narrows it to one organisation kind. Reminders follow before it opens and closes.",
        {201: calendar_api.CalendarEventOut, **dict.fromkeys((*PROTECTED, 409, 413, 415, 422))},
        auth="admin",
        body=calendar_api.CalendarEventInput,
    ),
    Operation(
        "DELETE",
        CALENDAR + "/{event_id}",
        calendar_api.remove_event,
        "Remove a dated event.",
        {200: calendar_api.CalendarEventOut, **dict.fromkeys((*PROTECTED, 404))},
        auth="admin",
        params=(row_id("event_id"),),
    ),
    Operation(
        "GET",
        "/api/v1/calendar/next-testing-window",
        calendar_api.next_testing_window,
        "The national testing window open now or next (public dates).",
        {200: calendar_api.NextWindow},
        params=(_query("audience", _line(32)),),
    ),
    Operation(
        "GET",
        ORG + "/course-checkins",
        checkins_api.organisation_checkins,
        "Post-course check-in answers of the organisation's staff (Order 266 para 31), counts "
        "only, withheld below a minimum group.",
        {200: checkins_api.CheckinSummary, **dict.fromkeys((*PROTECTED, 404))},
        auth="org",
        params=(ORG_ID,),
    ),
    Operation(
        "GET",
        "/api/v1/university/cards",
        university_api.cards,
        "The amended items of profession cards 3-5 of Order 616 (kk verbatim, ru a working "
        "translation) with citations and notes on doubtful rows.",
        {200: university_api.CardsOut},
    ),
    Operation(
        "POST",
        "/api/v1/university/self-checks",
        university_api.add_self_check,
        "Store a self-check (every item of the card rated 0-3); the answer is the result, "
        "compared with the previous self-check of that card.",
        {201: university_api.SelfCheckOut, **dict.fromkeys((*PROTECTED, 404, 413, 415, 422))},
        auth="admin",
        body=university_api.SelfCheckInput,
    ),
    Operation(
        "GET",
        "/api/v1/university/self-checks",
        university_api.list_self_checks,
        "A person's self-checks, oldest first, each compared with the one before it.",
        {200: university_api.SelfCheckList, **dict.fromkeys((*PROTECTED, 404, 422))},
        auth="admin",
        params=(Param("telegram_id", where="query", schema=TELEGRAM_ID, required=True),),
    ),
]
