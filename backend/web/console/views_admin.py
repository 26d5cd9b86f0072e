"""Admin pages: curators with their scopes, and API tokens (created, shown once, revoked).

Organisations are the staff pages' list (``/console/orgs``), which shows every organisation to
an admin. Anyone who is not an admin gets the same 404 as a missing page.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend import api_tokens, curators
from backend.web.console.context import render, viewer_key
from backend.web.keys import session_pool_key, settings_key

routes = web.RouteTableDef()


def admin_only(request: web.Request) -> None:
    """Admins only; anyone else gets the same 404 as a missing page."""
    if not request[viewer_key].admin:
        raise web.HTTPNotFound()


@routes.get("/admin/curators")
async def curator_list(request: web.Request) -> web.Response:
    admin_only(request)
    async with request.config_dict[session_pool_key]() as session:
        entries = await curators.list_curators(session=session)
    rows = [
        {
            "name": entry.user.full_name or entry.user.username or "—",
            "kind": entry.scope.kind,
            "regions": ", ".join(entry.scope.regions) or "—",
            "orgs": ", ".join(str(org) for org in entry.scope.organisation_ids) or "—",
        }
        for entry in entries
    ]
    return render(request, "admin_curators.html", {"curators": rows})


async def _tokens(request: web.Request, created: str | None) -> dict[str, Any]:
    tz = request.config_dict[settings_key].tz
    items = await api_tokens.list_tokens(request.config_dict[session_pool_key])
    return {
        "created": created,
        "tokens": [
            {
                "id": item.id,
                "name": item.name,
                "scope": item.scope,
                "created": item.created_at.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
                "active": item.revoked_at is None,
            }
            for item in items
        ],
    }


@routes.get("/admin/tokens")
async def token_list(request: web.Request) -> web.Response:
    admin_only(request)
    return render(request, "admin_tokens.html", await _tokens(request, None))


@routes.post("/admin/tokens")
async def token_create(request: web.Request) -> web.Response:
    admin_only(request)
    form = await request.post()
    name, scope = str(form.get("name") or "")[:100], str(form.get("scope") or "")[:100]
    try:
        created = await api_tokens.create_token(
            request.config_dict[session_pool_key],
            name=name,
            scope=scope or "admin",
            pepper=api_tokens.pepper_of(request.config_dict[settings_key]),
        )
    except ValueError:
        raise web.HTTPBadRequest() from None
    return render(request, "admin_tokens.html", await _tokens(request, created.token))


@routes.post(r"/admin/tokens/{token_id:\d{1,9}}/revoke")
async def token_revoke(request: web.Request) -> web.Response:
    admin_only(request)
    try:
        await api_tokens.revoke_token(
            request.config_dict[session_pool_key], int(request.match_info["token_id"])
        )
    except api_tokens.ApiTokenNotFoundError:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther("/console/admin/tokens")
