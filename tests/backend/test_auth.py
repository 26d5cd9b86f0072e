"""Bearer-token authentication of the per-user API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from pytest_aiohttp import AiohttpClient
from sqlmodel import select

from backend import api_tokens
from backend.db import SessionPool
from backend.models import ApiToken
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.auth import requires_token
from tests.courses.helpers import new_teacher

Client = TestClient[web.Request, web.Application]
COURSES = "/api/v1/users/777/courses"


@pytest.fixture
async def client(
    settings: Settings,
    engine: object,
    ruleset: Ruleset,
    session_pool: SessionPool,
    aiohttp_client: AiohttpClient,
) -> Client:
    await new_teacher(session_pool, 777)
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    return await aiohttp_client(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _assert_401(response: ClientResponse) -> None:
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.content_type == "application/problem+json"
    assert (await response.json())["status"] == 401


async def test_no_header_is_401_with_a_bearer_challenge(client: Client) -> None:
    await _assert_401(await client.get(COURSES))
    await _assert_401(await client.post(COURSES, json={}))
    await _assert_401(await client.get(COURSES, headers={"Authorization": "Basic dXNlcjpwYXNz"}))
    await _assert_401(await client.get(COURSES, headers={"Authorization": "Bearer "}))


async def test_wrong_token_is_401(client: Client, admin_token: str) -> None:
    await _assert_401(await client.get(COURSES, headers=bearer(admin_token + "x")))
    await _assert_401(await client.get(COURSES, headers=bearer("snt_" + "A" * 43)))
    await _assert_401(await client.get(COURSES, headers=bearer("not-even-a-token")))


async def test_revoked_token_is_401(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    created = await api_tokens.create_token(
        session_pool, name="soon revoked", pepper=api_tokens.pepper_of(settings)
    )
    assert (await client.get(COURSES, headers=bearer(created.token))).status == 200
    assert created.record.id is not None
    await api_tokens.revoke_token(session_pool, created.record.id)
    await _assert_401(await client.get(COURSES, headers=bearer(created.token)))


async def test_valid_admin_token_reaches_the_courses_api(
    client: Client, admin_token: str, session_pool: SessionPool
) -> None:
    response = await client.get(COURSES, headers=bearer(admin_token))
    assert response.status == 200
    assert (await response.json())["count"] == 0
    response = await client.get("/api/v1/users/999/courses", headers=bearer(admin_token))
    assert response.status == 404  # authenticated, then the usual problem
    records = await api_tokens.list_tokens(session_pool)
    assert [r.last_used_at is not None for r in records] == [True]


async def test_out_of_scope_token_is_403(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    created = await api_tokens.create_token(
        session_pool, name="curator", pepper=api_tokens.pepper_of(settings), scope="curator:1"
    )
    response = await client.get(COURSES, headers=bearer(created.token))
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert (await response.json())["status"] == 403


async def test_public_endpoints_need_no_token(client: Client) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/api/v1/openapi.json")).status == 200
    assert (await client.get("/api/v1/positions")).status == 200
    document = await (await client.get("/api/v1/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if requires_token(path):
                assert operation["security"] == [{"bearerAuth": []}], (path, method)
            else:
                assert "security" not in operation, (path, method)


async def test_token_is_stored_hashed_only(
    session_pool: SessionPool, admin_token: str, settings: Settings
) -> None:
    async with session_pool() as session:
        rows = list((await session.exec(select(ApiToken))).all())
    assert len(rows) == 1
    row = rows[0]
    assert admin_token.startswith("snt_")
    assert admin_token not in row.model_dump_json()
    assert row.token_hash == hashlib.sha256(admin_token.encode()).hexdigest()
    assert (row.scope, row.name, row.revoked_at, row.last_used_at) == (
        "admin",
        "tests",
        None,
        None,
    )


async def test_pepper_is_mixed_into_the_hash(
    session_pool: SessionPool, settings: Settings
) -> None:
    peppered = settings.model_copy(
        update={"web": settings.web.model_copy(update={"api_tokens_pepper": SecretStr("p3p")})}
    )
    created = await api_tokens.create_token(
        session_pool, name="peppered", pepper=api_tokens.pepper_of(peppered)
    )
    assert created.record.token_hash == hashlib.sha256(b"p3p" + created.token.encode()).hexdigest()
    assert await api_tokens.verify_token(session_pool, created.token, pepper="") is None
    verified = await api_tokens.verify_token(session_pool, created.token, pepper="p3p")
    assert verified is not None
    assert verified.id == created.record.id
