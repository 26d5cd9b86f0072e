"""The broadcasts and curators API over a real HTTP server on loopback."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlmodel import select

from backend import api_tokens
from backend.curators import Scope
from backend.db import SessionPool
from backend.models import Broadcast, User
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web import broadcasts_api
from backend.web.app import create_app
from backend.web.keys import clock_key
from tests.broadcasts.helpers import curator, organisation, person

Client = TestClient[web.Request, web.Application]
NOW = dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty
TEXT = {"ru": {"type": "text", "text": "Құрметті {name}!"}}


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> Client:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    return await aiohttp_client(app)


async def token_for(pool: SessionPool, settings: Settings, user_id: int) -> dict[str, str]:
    created = await api_tokens.create_token(
        pool,
        name=f"curator {user_id}",
        pepper=api_tokens.pepper_of(settings),
        scope=f"curator:{user_id}",
    )
    return {"Authorization": f"Bearer {created.token}"}


async def test_missing_or_bad_token_is_401(client: Client, admin_token: str) -> None:
    for path in ("/api/v1/broadcasts", "/api/v1/broadcasts/count", "/api/v1/curators"):
        response = await client.get(path)
        assert response.status == 401
        assert response.content_type == "application/problem+json"
        bad = await client.get(path, headers={"Authorization": f"Bearer {admin_token}x"})
        assert bad.status == 401


async def test_non_curator_token_cannot_broadcast(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    await person(session_pool)
    teacher = await person(session_pool, roles=("teacher",))
    headers = await token_for(session_pool, settings, teacher)
    response = await client.post(
        "/api/v1/broadcasts", json={"content": TEXT, "send_now": True}, headers=headers
    )
    assert response.status == 403
    assert (await client.get("/api/v1/broadcasts/count", headers=headers)).status == 403
    # Curator tokens never reach the curator administration.
    assert (await client.get("/api/v1/curators", headers=headers)).status == 403
    response = await client.post("/api/v1/curators", json={"user_id": teacher}, headers=headers)
    assert response.status == 403
    async with session_pool() as session:
        assert (await session.exec(select(Broadcast))).all() == []


async def test_curator_stays_inside_their_scope(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    other_org = await organisation(session_pool, "astana")
    await person(session_pool, region="almaty")
    await person(session_pool, region="astana")
    regional = await curator(session_pool, Scope(kind="region", regions=("almaty",)))
    rival = await curator(session_pool, Scope())
    headers = await token_for(session_pool, settings, regional)

    counted = await client.get("/api/v1/broadcasts/count?topic=news", headers=headers)
    assert counted.status == 200
    assert (await counted.json())["count"] == 1
    outside = await client.get("/api/v1/broadcasts/count?regions=astana", headers=headers)
    assert outside.status == 403
    response = await client.post(
        "/api/v1/broadcasts",
        json={"content": TEXT, "audience": {"organisation_ids": [other_org]}},
        headers=headers,
    )
    assert response.status == 403

    rival_headers = await token_for(session_pool, settings, rival)
    created = await client.post(
        "/api/v1/broadcasts", json={"content": TEXT, "send_now": True}, headers=rival_headers
    )
    assert created.status == 201
    rival_id = (await created.json())["id"]
    for action in ("pause", "cancel"):
        response = await client.post(f"/api/v1/broadcasts/{rival_id}/{action}", headers=headers)
        assert response.status == 403
    assert (await client.get(f"/api/v1/broadcasts/{rival_id}", headers=headers)).status == 403
    listed = await (await client.get("/api/v1/broadcasts", headers=headers)).json()
    assert listed["count"] == 0


async def test_full_round_trip(
    client: Client, session_pool: SessionPool, settings: Settings, auth_headers: dict[str, str]
) -> None:
    for _ in range(3):
        await person(session_pool, region="abai")
    future_curator = await person(session_pool, name="Болашақ куратор")
    async with session_pool() as session:
        user = await session.get(User, future_curator)
        assert user is not None
        telegram_id = user.telegram_id

    granted = await client.post(
        "/api/v1/curators",
        json={"telegram_id": telegram_id, "scope": {"kind": "region", "regions": ["abai"]}},
        headers=auth_headers,
    )
    assert granted.status == 201, await granted.text()
    assert (await granted.json())["scope"]["regions"] == ["abai"]
    listed = await (await client.get("/api/v1/curators", headers=auth_headers)).json()
    assert [c["user_id"] for c in listed["items"]] == [future_curator]
    headers = await token_for(session_pool, settings, future_curator)

    invalid = await client.post(
        "/api/v1/broadcasts",
        json={"content": {"ru": {"type": "text", "text": ""}}, "topic": "weather"},
        headers=headers,
    )
    assert invalid.status == 422
    assert {p["field"] for p in (await invalid.json())["invalid"]} == {"content.ru.text", "topic"}

    created = await client.post(
        "/api/v1/broadcasts",
        json={"content": TEXT, "topic": "news", "send_at": "2026-12-04T18:30:00"},
        headers=headers,
    )
    assert created.status == 201, await created.text()
    body = await created.json()
    broadcast_id = body["id"]
    assert body["status"] == "scheduled"
    # Without an offset the time is Almaty's (UTC+5).
    assert body["scheduled_at"] == "2026-12-04T13:30:00+00:00"
    assert body["created_via"] == "api"

    past = await client.post(
        f"/api/v1/broadcasts/{broadcast_id}/schedule",
        json={"send_at": "2026-12-01T10:00:00+05:00"},
        headers=headers,
    )
    assert past.status == 422
    now = await client.post(
        f"/api/v1/broadcasts/{broadcast_id}/schedule", json={"send_now": True}, headers=headers
    )
    assert now.status == 200
    assert (await now.json())["status"] == "running"
    assert (await now.json())["recipient_count"] == 3  # the curator has no region: not reached

    shown = await (await client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=headers)).json()
    assert shown["progress"]["total"] == 3
    assert shown["progress"]["remaining"] == 3

    paused = await client.post(f"/api/v1/broadcasts/{broadcast_id}/pause", headers=headers)
    assert (await paused.json())["status"] == "paused"
    again = await client.post(f"/api/v1/broadcasts/{broadcast_id}/pause", headers=headers)
    assert again.status == 409
    resumed = await client.post(f"/api/v1/broadcasts/{broadcast_id}/resume", headers=headers)
    assert (await resumed.json())["status"] == "running"
    # The admin token acts on anyone's broadcast.
    cancelled = await client.post(
        f"/api/v1/broadcasts/{broadcast_id}/cancel", headers=auth_headers
    )
    assert (await cancelled.json())["status"] == "cancelled"

    report = await client.get(f"/api/v1/broadcasts/{broadcast_id}/report.csv", headers=headers)
    assert report.status == 200
    assert report.content_type == "text/csv"
    table = list(csv.reader(io.StringIO((await report.read()).decode("utf-8-sig"))))
    assert len(table) == 4
    assert {line[3] for line in table[1:]} == {"cancelled"}

    assert (await client.get("/api/v1/broadcasts/999999", headers=auth_headers)).status == 404

    revoked = await client.delete(f"/api/v1/curators/{future_curator}", headers=auth_headers)
    assert revoked.status == 204
    # The token still exists but its curator is gone: nothing more is allowed.
    assert (await client.get("/api/v1/broadcasts", headers=headers)).status == 403
    gone = await client.delete(f"/api/v1/curators/{future_curator}", headers=auth_headers)
    assert gone.status == 404


async def test_admin_token_creates_on_behalf_of_a_curator(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    await person(session_pool)
    missing = await client.post("/api/v1/broadcasts", json={"content": TEXT}, headers=auth_headers)
    assert missing.status == 422
    owner = await curator(session_pool, Scope())
    created = await client.post(
        "/api/v1/broadcasts",
        json={"content": TEXT, "curator_id": owner, "send_now": True},
        headers=auth_headers,
    )
    assert created.status == 201
    body = await created.json()
    assert (body["curator_id"], body["status"], body["recipient_count"]) == (owner, "running", 2)
    listed = await (await client.get("/api/v1/broadcasts", headers=auth_headers)).json()
    assert [b["id"] for b in listed["items"]] == [body["id"]]


async def test_openapi_documents_every_route(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    routes = [
        route
        for route in client.app.router.routes()
        if route.handler.__module__ == broadcasts_api.__name__
    ]
    assert len(routes) == 12
    for route in routes:
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.resource.canonical)  # type: ignore[union-attr]
        assert route.method.lower() in document["paths"][path], (route.method, path)
    schemas = document["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document))
    assert refs
    assert set(refs) <= set(schemas)


async def test_a_past_send_time_is_refused_before_anything_is_stored(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    owner = await curator(session_pool, Scope())
    response = await client.post(
        "/api/v1/broadcasts",
        json={"content": TEXT, "curator_id": owner, "send_at": "2026-12-04T08:59:00+05:00"},
        headers=auth_headers,
    )
    assert response.status == 422
    assert (await response.json())["invalid"] == [{"field": "send_at", "code": "past"}]
    async with session_pool() as session:
        assert (await session.exec(select(Broadcast))).all() == []
