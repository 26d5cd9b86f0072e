"""Admin API for bearer tokens: create (the token is shown once), list, revoke.

Only an ``admin`` token reaches ``/api/v1/admin`` (backend.web.auth), so a curator or organisation
token cannot mint itself a wider one. Tokens are kept as salted SHA-256 hashes only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend import api_tokens
from backend.models import ApiToken
from backend.web.keys import session_pool_key, settings_key
from backend.web.problems import ProblemError, json_response, read_json

BASE = "/api/v1/admin/tokens"
routes = web.RouteTableDef()


def _token_json(record: ApiToken) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": record.id,
        "name": record.name,
        "scope": record.scope,
        "created_at": when(record.created_at),
        "last_used_at": when(record.last_used_at),
        "revoked_at": when(record.revoked_at),
    }


@routes.post(BASE)
async def create_token(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ProblemError(422, "Unprocessable Content", "the body must be a JSON object")
    name, scope = body.get("name"), body.get("scope", "admin")
    if not isinstance(name, str) or not isinstance(scope, str):
        raise ProblemError(422, "Unprocessable Content", "name and scope must be strings")
    try:
        created = await api_tokens.create_token(
            request.app[session_pool_key],
            name=name,
            scope=scope,
            pepper=api_tokens.pepper_of(request.app[settings_key]),
        )
    except ValueError as error:
        raise ProblemError(422, "Unprocessable Content", str(error)) from None
    return json_response({**_token_json(created.record), "token": created.token}, status=201)


@routes.get(BASE)
async def list_tokens(request: web.Request) -> web.Response:
    records = await api_tokens.list_tokens(request.app[session_pool_key])
    return json_response({"items": [_token_json(record) for record in records]})


@routes.delete(BASE + r"/{token_id:\d+}")
async def revoke_token(request: web.Request) -> web.Response:
    token_id = int(request.match_info["token_id"])
    try:
        record = await api_tokens.revoke_token(request.app[session_pool_key], token_id)
    except api_tokens.ApiTokenNotFoundError:
        raise ProblemError(404, "Not Found", "no such token") from None
    return json_response(_token_json(record))


_PROBLEM = {
    "description": "problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_TOKEN = {"$ref": "#/components/schemas/ApiToken"}

OPENAPI_PATHS: dict[str, Any] = {
    BASE: {
        "get": {
            "summary": "Every API token (never the tokens themselves). Admin token only.",
            "responses": {
                "200": {
                    "description": "tokens",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"items": {"type": "array", "items": _TOKEN}},
                            }
                        }
                    },
                }
            },
        },
        "post": {
            "summary": "Create a token; the answer is the only time its text is shown. "
            'Scope "admin", "curator:<user id>" or "org:<organisation id>". Admin token only.',
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "scope": {"type": "string", "default": "admin"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "created",
                    "content": {"application/json": {"schema": _TOKEN}},
                },
                "422": _PROBLEM,
            },
        },
    },
    BASE + "/{token_id}": {
        "parameters": [
            {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "delete": {
            "summary": "Revoke a token: it stops working at once. Admin token only.",
            "responses": {
                "200": {
                    "description": "revoked",
                    "content": {"application/json": {"schema": _TOKEN}},
                },
                "404": _PROBLEM,
            },
        },
    },
}
OPENAPI_SCHEMAS: dict[str, Any] = {
    "ApiToken": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "scope": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": "string", "format": "date-time", "nullable": True},
            "revoked_at": {"type": "string", "format": "date-time", "nullable": True},
            "token": {"type": "string", "description": "only in the answer that created it"},
        },
    }
}
