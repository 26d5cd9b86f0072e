"""The OpenAPI paths and schemas of the organisations API (``backend.web.staff_api``).

Kept apart from the views so the handlers read on their own; ``backend.web.openapi`` merges
these into the one document.
"""

from __future__ import annotations

from typing import Any

from backend import staff
from backend.web.staff_api import BASE, ORG_KINDS, XLSX_TYPE

_PROBLEM = {
    "description": "problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_NOTE = ' Needs an "admin" token or the organisation\'s "org:<id>" token.'
_ADMIN_NOTE = ' Needs an "admin" token.'


def _ok(schema: str, description: str = "ok") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _json_body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


OPENAPI_PATHS: dict[str, Any] = {
    BASE: {
        "get": {
            "summary": "All organisations." + _ADMIN_NOTE,
            "responses": {"200": _ok("OrganisationList")},
        },
        "post": {
            "summary": "Create an organisation." + _ADMIN_NOTE,
            "requestBody": _json_body("OrganisationInput"),
            "responses": {"201": _ok("Organisation", "created"), "422": _PROBLEM},
        },
    },
    BASE + "/{organisation_id}": {
        "parameters": [_param("organisation_id")],
        "get": {
            "summary": "An organisation, with its roster size." + _NOTE,
            "responses": {"200": _ok("Organisation"), "404": _PROBLEM},
        },
    },
    BASE + "/{organisation_id}/invitations": {
        "parameters": [_param("organisation_id")],
        "get": {
            "summary": "The organisation's invitation links, newest first (never the tokens)."
            + _NOTE,
            "responses": {"200": _ok("InvitationList"), "404": _PROBLEM},
        },
        "post": {
            "summary": "Create an invitation link (t.me/<bot>?start=<token>). The token is in "
            "this response only. With roster_entry_id: a single-use link for that teacher."
            + _NOTE,
            "requestBody": _json_body("InvitationInput"),
            "responses": {
                "201": _ok("CreatedInvitation", "created"),
                "404": _PROBLEM,
                "422": _PROBLEM,
            },
        },
    },
    BASE + "/{organisation_id}/invitations/{invitation_id}": {
        "parameters": [_param("organisation_id"), _param("invitation_id")],
        "delete": {
            "summary": "Revoke an invitation: its link stops working." + _NOTE,
            "responses": {"204": {"description": "revoked"}, "404": _PROBLEM},
        },
    },
    BASE + "/{organisation_id}/roster": {
        "parameters": [_param("organisation_id")],
        "get": {
            "summary": "The roster, by name." + _NOTE,
            "responses": {"200": _ok("Roster"), "404": _PROBLEM},
        },
        "post": {
            "summary": "Import a roster file (CSV in UTF-8 or Windows-1251, comma or semicolon; "
            "or XLSX). Columns (kk/ru/en headers): full name, position id or name, Telegram "
            "username (optional), last course date, category. Good rows are added or updated "
            "by name; bad rows are reported with their line numbers. A file over the size or "
            "row limit, unreadable or without the columns imports nothing." + _NOTE,
            "parameters": [
                {
                    "name": "filename",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "the file's name (its extension picks CSV or XLSX)",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "responses": {
                "200": _ok("ImportReport"),
                "404": _PROBLEM,
                "413": _PROBLEM,
                "415": _PROBLEM,
                "422": _PROBLEM,
            },
        },
    },
    BASE + "/{organisation_id}/digest": {
        "parameters": [_param("organisation_id")],
        "get": {
            "summary": f"Who is overdue and who is due within {staff.DUE_SOON_DAYS} days, as JSON "
            "or as a formula-safe CSV/XLSX file." + _NOTE,
            "parameters": [
                {"name": "format", "in": "query", "schema": {"enum": ["json", "csv", "xlsx"]}},
                {"name": "language", "in": "query", "schema": {"enum": ["kk", "ru", "en"]}},
            ],
            "responses": {
                "200": {
                    "description": "the digest",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Digest"}},
                        "text/csv": {"schema": {"type": "string"}},
                        XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                "404": _PROBLEM,
                "422": _PROBLEM,
            },
        },
    },
}

_DATE = {"type": ["string", "null"], "format": "date"}
_DIGEST_ROW = {
    "type": "object",
    "properties": {
        "full_name": {"type": "string"},
        "position": {"type": ["string", "null"]},
        "position_name": {"type": "object", "additionalProperties": {"type": "string"}},
        "last_course_on": _DATE,
        "due_on": _DATE,
        "days_left": {"type": ["integer", "null"]},
        "linked": {"type": "boolean"},
    },
}
_ORGANISATION = {
    "type": "object",
    "required": ["id", "name", "kind"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"enum": list(ORG_KINDS)},
        "region": {"type": ["string", "null"]},
        "roster_size": {"type": "integer"},
        "roster_linked": {"type": "integer"},
    },
}
_INVITATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "role": {"enum": [*staff.STAFF_ROLES, staff.TEACHER_ROLE, staff.STUDENT_ROLE]},
        "roster_entry_id": {"type": ["integer", "null"]},
        "max_uses": {"type": ["integer", "null"]},
        "uses": {"type": "integer"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "active": {"type": "boolean"},
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "Organisation": _ORGANISATION,
    "OrganisationList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _ORGANISATION}},
    },
    "OrganisationInput": {
        "type": "object",
        "required": ["name", "kind"],
        "properties": {
            "name": {"type": "string", "maxLength": 256},
            "kind": {"enum": list(ORG_KINDS)},
            "region": {"type": ["string", "null"], "maxLength": 64},
        },
    },
    "Invitation": _INVITATION,
    "InvitationList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _INVITATION}},
    },
    "InvitationInput": {
        "type": "object",
        "properties": {
            "role": {"enum": [*staff.STAFF_ROLES, staff.STUDENT_ROLE]},
            "max_uses": {"type": ["integer", "null"], "minimum": 1},
            "days": {"type": ["integer", "null"], "minimum": 1},
            "roster_entry_id": {"type": ["integer", "null"]},
        },
    },
    "CreatedInvitation": {
        "allOf": [
            _INVITATION,
            {
                "type": "object",
                "properties": {"token": {"type": "string"}, "link": {"type": "string"}},
            },
        ]
    },
    "Roster": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "full_name": {"type": "string"},
                        "position_id": {"type": ["string", "null"]},
                        "username": {"type": ["string", "null"]},
                        "last_course_on": _DATE,
                        "category": {"type": ["string", "null"]},
                        "linked": {"type": "boolean"},
                    },
                },
            }
        },
    },
    "ImportReport": {
        "type": "object",
        "required": ["added", "updated", "rows_total", "errors"],
        "properties": {
            "added": {"type": "integer"},
            "updated": {"type": "integer"},
            "rows_total": {"type": "integer"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "line": {"type": "integer"},
                        "code": {
                            "enum": [
                                "no_name",
                                "name_too_long",
                                "unknown_position",
                                "ambiguous_position",
                                "bad_date",
                                "future_date",
                                "date_too_old",
                                "unknown_category",
                                "bad_username",
                                "duplicate",
                            ]
                        },
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
    "Digest": {
        "type": "object",
        "properties": {
            "organisation_id": {"type": "integer"},
            "as_of": {"type": "string", "format": "date"},
            "due_soon_days": {"type": "integer"},
            "total": {"type": "integer"},
            "overdue": {"type": "array", "items": _DIGEST_ROW},
            "due_soon": {"type": "array", "items": _DIGEST_ROW},
            "without_date": {"type": "array", "items": _DIGEST_ROW},
        },
    },
}
