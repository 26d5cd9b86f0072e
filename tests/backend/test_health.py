from __future__ import annotations

from pytest_aiohttp import AiohttpClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backend import __version__
from backend.api_tokens import TOKEN_PREFIX
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


async def test_an_api_call_is_503_not_500_when_the_database_is_down(
    settings: Settings, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> None:
    engine = create_engine(DatabaseSettings(url="postgresql+asyncpg://nobody@127.0.0.1:9/none"))
    app = create_app(settings, engine=engine, ruleset=ruleset)
    client = await aiohttp_client(app)
    token = TOKEN_PREFIX + "x" * 32  # well-formed, so the middleware must ask the database
    response = await client.get(
        "/api/v1/broadcasts/1", headers={"Authorization": f"Bearer {token}"}
    )
    body = await response.json(content_type=None)
    await engine.dispose()
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert body["status"] == 503


async def test_an_api_call_is_503_when_the_pool_has_no_free_connection(
    settings: Settings,
    database_url: str,
    ruleset: Ruleset,
    auth_headers: dict[str, str],
    aiohttp_client: AiohttpClient,
) -> None:
    # One connection, no overflow, a short wait: holding the one connection starves the request.
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(settings, engine=engine, ruleset=ruleset)
    client = await aiohttp_client(app)
    try:
        async with engine.connect() as held:
            await held.execute(text("SELECT 1"))
            starved = await client.get("/api/v1/broadcasts/1", headers=auth_headers)
        freed = await client.get("/api/v1/broadcasts/1", headers=auth_headers)
    finally:
        await engine.dispose()
    assert starved.status == 503
    assert starved.content_type == "application/problem+json"
    assert freed.status == 404  # the pool is free again: there is just no broadcast 1
