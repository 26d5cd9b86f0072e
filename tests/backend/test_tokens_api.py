"""The admin token API: create (shown once), list, revoke — and only for admin tokens."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlmodel import select

from backend import api_tokens
from backend.db import SessionPool
from backend.models import ApiToken
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app

Client = TestClient[web.Request, web.Application]
TOKENS = "/api/v1/admin/tokens"


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> Client:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    return await aiohttp_client(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_admin_creates_lists_and_revokes_a_curator_token(
    client: Client, admin_token: str, session_pool: SessionPool
) -> None:
    created = await client.post(
        TOKENS, json={"name": "curator app", "scope": "curator:5"}, headers=bearer(admin_token)
    )
    assert created.status == 201
    body = await created.json()
    assert body["scope"] == "curator:5"
    assert body["token"].startswith("snt_")
    async with session_pool() as session:
        stored = (await session.exec(select(ApiToken).where(ApiToken.id == body["id"]))).one()
    assert body["token"] not in stored.token_hash  # only the hash is kept

    listed = await (await client.get(TOKENS, headers=bearer(admin_token))).json()
    assert {"curator app", "tests"} == {item["name"] for item in listed["items"]}
    assert all("token" not in item for item in listed["items"])

    # the new token works for its scope, until it is revoked
    assert (await client.get("/api/v1/broadcasts", headers=bearer(body["token"]))).status != 401
    revoked = await client.delete(f"{TOKENS}/{body['id']}", headers=bearer(admin_token))
    assert revoked.status == 200
    assert (await revoked.json())["revoked_at"] is not None
    assert (await client.get("/api/v1/broadcasts", headers=bearer(body["token"]))).status == 401


async def test_only_admin_tokens_reach_the_token_api(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    curator = await api_tokens.create_token(
        session_pool, name="c", scope="curator:1", pepper=api_tokens.pepper_of(settings)
    )
    assert (await client.get(TOKENS)).status == 401
    answer = await client.post(
        TOKENS, json={"name": "escalate", "scope": "admin"}, headers=bearer(curator.token)
    )
    assert answer.status == 403
    async with session_pool() as session:
        names = (await session.exec(select(ApiToken.name))).all()
    assert "escalate" not in names


async def test_bad_input_and_unknown_ids_get_problems(client: Client, admin_token: str) -> None:
    for body in ({"name": "x", "scope": "root"}, {"name": " "}, {"scope": "admin"}, ["x"]):
        answer = await client.post(TOKENS, json=body, headers=bearer(admin_token))
        assert answer.status == 422, body
        assert answer.content_type == "application/problem+json"
    missing = await client.delete(f"{TOKENS}/9999", headers=bearer(admin_token))
    assert missing.status == 404
