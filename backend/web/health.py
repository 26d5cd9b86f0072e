from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from backend import __version__
from backend.migrate import current_revision
from backend.web.bodies import reply
from backend.web.keys import engine_key, ruleset_key
from backend.web.schemas.common import Health


async def healthz(request: web.Request) -> web.Response:
    """Liveness and readiness: version, database reachability and revision, ruleset version."""
    engine = request.app[engine_key]
    database: dict[str, object]
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = {"status": "ok", "dialect": engine.dialect.name}
        database["revision"] = await current_revision(engine)
    except Exception as exc:
        database = {"status": "error", "error": type(exc).__name__}
    ruleset = request.app[ruleset_key]
    body = {
        "status": "ok" if database["status"] == "ok" else "degraded",
        "version": __version__,
        "database": database,
        "ruleset": {"version": ruleset.version, "positions": len(ruleset.positions)},
    }
    return reply(Health, body, status=200 if database["status"] == "ok" else 503)
