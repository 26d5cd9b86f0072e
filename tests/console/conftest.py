"""The console's HTTP tests share one app (clock pinned to ``NOW``) and one world of people."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from tests.console.support import NOW, Client, World, build_world


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> Client:
    app = create_app(settings, engine=engine, ruleset=ruleset)
    app[clock_key] = lambda: NOW
    return await aiohttp_client(app)


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await build_world(session_pool)
