"""Bearer-token authentication for the protected API (users, organisations, broadcasts, admin).

Missing or bad token: 401 with ``WWW-Authenticate: Bearer``; a valid token whose scope does not
cover the request: 403. The rules endpoints, ``/healthz`` and the OpenAPI document stay public.
Scopes: "admin" may do anything; "curator:<user id>" may use the broadcast and channel
endpoints (the handlers then keep the curator inside their audience scope);
"org:<organisation id>" may use that organisation's endpoints only.
"""

from __future__ import annotations

from aiohttp import web

from backend.api_tokens import pepper_of, verify_token
from backend.models.api_token import ADMIN_SCOPE
from backend.web.keys import session_pool_key, settings_key
from backend.web.problems import Handler, problem

PROTECTED_PREFIXES = (
    "/api/v1/users",
    "/api/v1/admin",
    "/api/v1/organisations",
    "/api/v1/broadcasts",
    "/api/v1/channels",
    "/api/v1/curators",
    "/api/v1/university/self-checks",
)
CURATOR_PREFIXES = ("/api/v1/broadcasts", "/api/v1/channels")
scope_key = web.RequestKey("api_token_scope", str)  # the authenticated token's scope
token_id_key = web.RequestKey("api_token_id", int)


def _unauthorized(detail: str, *, error: str | None = None) -> web.Response:
    response = problem(401, "Unauthorized", detail)
    challenge = 'Bearer realm="sanat"' + (f', error="{error}"' if error else "")
    response.headers["WWW-Authenticate"] = challenge
    return response


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def scope_allows(scope: str, request: web.Request) -> bool:
    """Whether a token of ``scope`` may make ``request`` at all (handlers narrow it further)."""
    if scope == ADMIN_SCOPE:
        return True
    kind, _, ident = scope.partition(":")
    path = request.path
    if kind == "curator":
        return any(_under(path, prefix) for prefix in CURATOR_PREFIXES)
    if kind == "org":
        return _under(path, f"/api/v1/organisations/{ident}")
    return False


def requires_token(path: str) -> bool:
    return any(_under(path, prefix) for prefix in PROTECTED_PREFIXES)


def curator_of(request: web.Request) -> int | None:
    """The curator's user id for a "curator:<id>" token; None for an admin token."""
    kind, _, ident = request[scope_key].partition(":")
    return int(ident) if kind == "curator" else None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not requires_token(request.path):
        return await handler(request)
    token = _bearer(request)
    if token is None:
        return _unauthorized("send Authorization: Bearer <API token>")
    record = await verify_token(
        request.app[session_pool_key], token, pepper=pepper_of(request.app[settings_key])
    )
    if record is None or record.id is None:
        return _unauthorized("the API token is invalid or revoked", error="invalid_token")
    if not scope_allows(record.scope, request):
        return problem(403, "Forbidden", f"scope {record.scope!r} does not allow this request")
    request[scope_key] = record.scope
    request[token_id_key] = record.id
    return await handler(request)
