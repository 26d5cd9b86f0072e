from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import text

from backend import __version__
from backend.metrics import metrics_response
from backend.migrate import current_revision, head_revision
from backend.web.bodies import reply
from backend.web.keys import engine_key, metrics_key, ruleset_key, settings_key
from backend.web.problems import problem
from backend.web.schemas.common import Health, Readiness

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 2.0  # seconds for the Redis ping


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


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers and is migrated to head, and Redis (when
    configured) answers. 503 problem+json naming what is not ready."""
    checks: dict[str, str] = {}
    engine = request.app[engine_key]
    try:
        revision = await current_revision(engine)
        checks["database"] = "ok"
        head = head_revision()
        checks["migrations"] = "ok" if revision == head else f"at {revision}, head is {head}"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    url = request.app[settings_key].redis.url
    if url:
        client = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT)
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                await client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        finally:
            await client.aclose()
    else:
        checks["redis"] = "not configured"
    failing = sorted(
        name for name, value in checks.items() if value not in ("ok", "not configured")
    )
    if failing:
        log.warning("not ready", extra={"checks": checks})
        return problem(
            503, "Service Unavailable", "not ready: " + ", ".join(failing), checks=checks
        )
    return reply(Readiness, {"status": "ready", "checks": checks})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics in the text exposition format."""
    return await metrics_response(request.app[metrics_key])
