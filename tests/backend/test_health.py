from __future__ import annotations

from pytest_aiohttp import AiohttpClient

from backend import __version__
from backend.db import create_engine
from backend.rules.loader import Ruleset
from backend.settings import DatabaseSettings, Settings
from backend.web.app import create_app


async def test_healthz_reports_version_database_and_ruleset(
    settings: Settings, engine: object, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> None:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    client = await aiohttp_client(app)
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 200
    assert body["version"] == __version__
    assert body["database"]["status"] == "ok"
    assert body["database"]["revision"] is not None
    assert body["ruleset"]["version"] == ruleset.version


async def test_healthz_is_503_when_the_database_is_down(
    settings: Settings, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    engine = create_engine(DatabaseSettings(url="postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    app = create_app(settings, engine=engine, ruleset=ruleset)
    client = await aiohttp_client(app)
    response = await client.get("/healthz")
    body = await response.json()
    missing = await client.get("/no/such/path")
    problem = await missing.json()
    await engine.dispose()
    assert response.status == 503
    assert body["database"]["status"] == "error"
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    assert problem["status"] == 404
