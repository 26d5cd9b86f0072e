"""``GET /api/v1/assessments/{id}.pdf``: the printable summary, for its owner or an admin.

The owner is recognised by the console's session cookie (the bot sends the same PDF itself);
an admin by an "admin" API token. Anyone else -- and a missing assessment -- gets the same 404.
"""

from __future__ import annotations

from aiohttp import web

from backend.api_tokens import pepper_of, verify_token
from backend.curators import is_admin
from backend.models.api_token import ADMIN_SCOPE
from backend.summary.service import assessment_for, filename, owner_language, summary_pdf_async
from backend.web.console.context import COOKIE, now_utc
from backend.web.console.signin import session_of
from backend.web.keys import ruleset_key, session_pool_key, settings_key
from backend.web.operations import path_int
from backend.web.problems import ProblemError


async def _requester(request: web.Request) -> tuple[int | None, bool]:
    """(the console user's id, whether the requester is an admin)."""
    pool = request.app[session_pool_key]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        record = await verify_token(
            pool, token.strip(), pepper=pepper_of(request.app[settings_key])
        )
        if record is None:
            raise ProblemError(401, "Unauthorized", "the API token is invalid or revoked")
        return None, record.scope == ADMIN_SCOPE
    cookie = request.cookies.get(COOKIE, "")
    async with pool() as session:
        signed_in = await session_of(session=session, token=cookie, now=now_utc())
        if signed_in is None:
            raise ProblemError(401, "Unauthorized", "sign in to the console or send an API token")
        return signed_in.user_id, await is_admin(session=session, user_id=signed_in.user_id)


async def assessment_pdf(request: web.Request) -> web.Response:
    user_id, admin = await _requester(request)
    async with request.app[session_pool_key]() as session:
        assessment = await assessment_for(
            session=session,
            assessment_id=path_int(request, "assessment_id"),
            user_id=user_id,
            admin=admin,
        )
        if assessment is None:
            raise ProblemError(404, "Not Found", "no such assessment")
        language = request.query.get("language") or await owner_language(
            session=session, assessment=assessment
        )
    if language not in ("kk", "ru", "en"):
        raise ProblemError(422, "Unprocessable Content", "language is kk, ru or en")
    body = await summary_pdf_async(
        assessment,
        ruleset=request.app[ruleset_key],
        settings=request.app[settings_key],
        lang=language,
    )
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename(assessment)}"',
            "Cache-Control": "private, no-store",
        },
    )
