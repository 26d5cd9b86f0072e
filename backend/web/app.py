"""``create_app``: the backend's aiohttp application, wired from explicit collaborators."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import create_session_pool
from backend.metrics import Metrics
from backend.roster_parsing.worker import create_roster_parser
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.auth import auth_middleware
from backend.web.console.app import create_console_app
from backend.web.keys import (
    engine_key,
    metrics_key,
    roster_parser_key,
    ruleset_key,
    session_pool_key,
    settings_key,
)
from backend.web.problems import problem_middleware
from backend.web.routes import OPERATIONS

MAX_BODY_BYTES = 5 * 1024 * 1024


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine,
    ruleset: Ruleset,
    metrics: Metrics | None = None,
) -> web.Application:
    """The app; ``metrics`` are what ``/metrics`` shows (a fresh set by default; the backend
    process passes the one its delivery worker and scheduler count in)."""
    app = web.Application(
        middlewares=[problem_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[settings_key] = settings
    app[engine_key] = engine
    app[session_pool_key] = create_session_pool(engine)
    app[ruleset_key] = ruleset
    app[metrics_key] = metrics or Metrics()
    app[metrics_key].watch_database(engine)
    for operation in OPERATIONS:
        app.router.add_route(operation.method, operation.route_path, operation.handler)
    app[roster_parser_key] = create_roster_parser()
    app.cleanup_ctx.append(_roster_parser)
    app.add_subapp("/console", create_console_app())
    return app


async def _roster_parser(app: web.Application) -> AsyncIterator[None]:
    """The process pool for roster uploads, for as long as the app runs (its worker starts
    with the first upload: most runs, and most tests, never need it).
    """
    parser = app[roster_parser_key]
    parser.start()
    yield
    parser.close()
