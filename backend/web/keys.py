"""Typed application keys (string keys trigger NotAppKeyWarning)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
session_pool_key = web.AppKey("session_pool", SessionPool)
ruleset_key = web.AppKey("ruleset", Ruleset)
