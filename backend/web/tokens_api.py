"""Admin API for bearer tokens: create (the token is shown once), list, revoke.

Only an ``admin`` token reaches ``/api/v1/admin`` (backend.web.auth), so a curator or organisation
token cannot mint itself a wider one. Tokens are kept as salted SHA-256 hashes only.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend import api_tokens
from backend.models import ApiToken
from backend.web.bodies import read_model, reply
from backend.web.keys import session_pool_key, settings_key
from backend.web.operations import path_int
from backend.web.problems import ProblemError
from backend.web.schemas import tokens as t
from backend.web.schemas.tokens import TokenInput

BASE = "/api/v1/admin/tokens"


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


async def create_token(request: web.Request) -> web.Response:
    body = await read_model(request, TokenInput)
    name, scope = body.name, body.scope
    try:
        created = await api_tokens.create_token(
            request.app[session_pool_key],
            name=name,
            scope=scope,
            pepper=api_tokens.pepper_of(request.app[settings_key]),
        )
    except ValueError as error:
        raise ProblemError(422, "Unprocessable Content", str(error)) from None
    return reply(
        t.CreatedToken, {**_token_json(created.record), "token": created.token}, status=201
    )


async def list_tokens(request: web.Request) -> web.Response:
    records = await api_tokens.list_tokens(request.app[session_pool_key])
    return reply(t.TokenList, {"items": [_token_json(record) for record in records]})


async def revoke_token(request: web.Request) -> web.Response:
    token_id = path_int(request, "token_id")
    try:
        record = await api_tokens.revoke_token(request.app[session_pool_key], token_id)
    except api_tokens.ApiTokenNotFoundError:
        raise ProblemError(404, "Not Found", "no such token") from None
    return reply(t.ApiToken, _token_json(record))
