"""Typed application keys (string keys trigger NotAppKeyWarning)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool
from backend.metrics import Metrics
from backend.models.types import utcnow
from backend.roster_parsing.worker import RosterParser
from backend.rules.loader import Ruleset
from backend.settings import Settings

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
session_pool_key = web.AppKey("session_pool", SessionPool)
ruleset_key = web.AppKey("ruleset", Ruleset)
metrics_key = web.AppKey("metrics", Metrics)
# The roster parsing worker process: created when the app starts, closed when it stops.
roster_parser_key = web.AppKey("roster_parser", RosterParser)

# Seconds a request body may take to arrive; tests shorten it (default: bodies.BODY_TIMEOUT).
body_timeout_key = web.AppKey("body_timeout", float)

Clock = Callable[[], dt.datetime]
clock_key: web.AppKey[Clock] = web.AppKey("clock")  # tests pin "now"; default: the real clock


def now_of(request: web.Request) -> dt.datetime:
    """The current time (UTC) for this request's application."""
    return request.app.get(clock_key, utcnow)()


def today_of(request: web.Request) -> dt.date:
    """Today's date where the service is used (Asia/Almaty)."""
    return now_of(request).astimezone(request.app[settings_key].tz).date()
