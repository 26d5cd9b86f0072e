"""The OpenAPI paths and schemas of the broadcasts and curators API
(``backend.web.broadcasts_api``).

Kept apart from the views so the handlers read on their own; ``backend.web.openapi`` merges
these into the one document.
"""

from __future__ import annotations

from typing import Any

from backend.web.broadcasts_api import BASE, CURATORS

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_ERROR_DESCRIPTIONS = {
    401: "missing or bad token",
    403: "out of scope, or not a curator",
    404: "not found",
    409: "the broadcast's status does not allow this",
    422: "invalid input",
}


def _responses(ok: int, schema: dict[str, Any] | None, *errors: int) -> dict[str, Any]:
    """The success answer and the problem answers; 401 and 403 are always possible."""
    out: dict[str, Any] = {
        str(ok): {"description": "OK"}
        if schema is None
        else {"description": "OK", "content": {"application/json": {"schema": schema}}}
    }
    for status in (401, 403, *errors):
        out[str(status)] = {
            "description": _ERROR_DESCRIPTIONS[status],
            "content": {"application/problem+json": {"schema": _PROBLEM}},
        }
    return out


_BROADCAST = {"$ref": "#/components/schemas/Broadcast"}
_ID_PARAM = {"name": "broadcast_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def _operation(
    summary: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One documented operation; every one of them needs a bearer token."""
    operation: dict[str, Any] = {"summary": summary, "security": _SECURITY}
    if parameters is not None:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    operation["responses"] = responses
    return operation


def _action(summary: str) -> dict[str, Any]:
    return {"post": _operation(summary, _responses(200, _BROADCAST, 404, 409), [_ID_PARAM])}


OPENAPI_PATHS: dict[str, Any] = {
    BASE: {
        "post": _operation(
            "Create a broadcast; send it now or schedule it",
            _responses(201, _BROADCAST, 409, 422),
            body={"$ref": "#/components/schemas/NewBroadcast"},
        ),
        "get": _operation(
            "Broadcasts of the token's curator (an admin token: everyone's)",
            _responses(200, {"type": "object"}),
            [{"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}}],
        ),
    },
    BASE + "/count": {
        "get": _operation(
            "How many people an audience reaches now (inside the curator's scope)",
            _responses(200, {"type": "object"}, 422),
            [
                {"name": name, "in": "query", "schema": {"type": "string"}}
                for name in (
                    "topic",
                    "roles",
                    "regions",
                    "organisation_ids",
                    "categories",
                    "curator_id",
                )
            ],
        )
    },
    BASE + "/{broadcast_id}": {
        "get": _operation(
            "A broadcast with its progress", _responses(200, _BROADCAST, 404), [_ID_PARAM]
        )
    },
    BASE + "/{broadcast_id}/pause": _action("Pause sending (pending messages are held)"),
    BASE + "/{broadcast_id}/resume": _action("Resume a paused broadcast"),
    BASE + "/{broadcast_id}/cancel": _action("Cancel: nothing more is sent"),
    BASE + "/{broadcast_id}/schedule": {
        "post": _operation(
            "Schedule (send_at; Almaty time without an offset) or send now",
            _responses(200, _BROADCAST, 404, 409, 422),
            [_ID_PARAM],
            body={
                "type": "object",
                "properties": {
                    "send_at": {"type": "string", "format": "date-time"},
                    "send_now": {"type": "boolean"},
                },
            },
        )
    },
    BASE + "/{broadcast_id}/report.csv": {
        "get": _operation(
            "Per-recipient report as CSV",
            {
                **_responses(200, None, 404),
                "200": {"description": "CSV", "content": {"text/csv": {}}},
            },
            [_ID_PARAM],
        )
    },
    CURATORS: {
        "get": _operation(
            "Curators and their scopes (admin token)", _responses(200, {"type": "object"})
        ),
        "post": _operation(
            "Grant the curator role with a scope (admin token)",
            _responses(201, {"type": "object"}, 404, 422),
            body={"$ref": "#/components/schemas/CuratorGrant"},
        ),
    },
    CURATORS + "/{user_id}": {
        "delete": _operation(
            "Revoke the curator role (admin token)",
            {**_responses(204, None, 404), "204": {"description": "revoked"}},
            [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        )
    },
}

_ID_LIST = {"type": "array", "items": {"type": "integer"}}
_STR_LIST = {"type": "array", "items": {"type": "string"}}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Audience": {
        "type": "object",
        "properties": {
            "roles": {"type": "array", "items": {"enum": ["teachers", "staff", "students"]}},
            "regions": _STR_LIST,
            "organisation_ids": _ID_LIST,
            "categories": _STR_LIST,
        },
    },
    "NewBroadcast": {
        "type": "object",
        "required": ["content"],
        "properties": {
            "content": {
                "type": "object",
                "description": "a message variant per language (kk and/or ru): "
                '{"type": "text", "text"} | {"type": "photo"|"document", "file_id", "caption"} '
                '| {"type": "copy", "from_chat_id", "message_id"}; {name} is filled per recipient',
            },
            "topic": {"enum": ["news", "courses", "attestation", "contests", "jobs"]},
            "audience": {"$ref": "#/components/schemas/Audience"},
            "channel_id": {"type": "integer"},
            "curator_id": {"type": "integer", "description": "admin tokens: who it is sent as"},
            "send_at": {"type": "string", "format": "date-time"},
            "send_now": {"type": "boolean"},
        },
    },
    "Broadcast": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "curator_id": {"type": "integer"},
            "status": {"enum": ["draft", "scheduled", "running", "paused", "done", "cancelled"]},
            "topic": {"type": "string"},
            "audience": {"$ref": "#/components/schemas/Audience"},
            "recipient_count": {"type": "integer"},
            "text_sha256": {"type": "string"},
            "scheduled_at": {"type": ["string", "null"], "format": "date-time"},
            "progress": {"type": "object"},
        },
    },
    "CuratorGrant": {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer"},
            "telegram_id": {"type": "integer"},
            "scope": {
                "type": "object",
                "properties": {
                    "kind": {"enum": ["everyone", "region", "orgs"]},
                    "regions": _STR_LIST,
                    "organisation_ids": _ID_LIST,
                },
            },
        },
    },
}
