from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> Client:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    return await aiohttp_client(app)


async def test_search_positions_in_kazakh_typed_on_a_russian_keyboard(client: Client) -> None:
    response = await client.get(
        "/api/v1/positions", params={"q": "ТАРБИЕШИ", "org_kind": "preschool"}
    )
    body = await response.json()
    assert response.status == 200
    assert body["items"][0]["id"] == "2.4"
    assert all(item["org_kind"] == "preschool" for item in body["items"])


async def test_one_position_carries_citations_and_the_verbatim_clause(client: Client) -> None:
    response = await client.get("/api/v1/positions/3.14b")
    body = await response.json()
    assert response.status == 200
    assert body["heading"]["text"] == "14-параграф."
    assert body["verbatim"]["requirements"]["kk"].startswith("94.")


async def test_evaluate_returns_the_outcome(client: Client) -> None:
    response = await client.post(
        "/api/v1/assessments/evaluate",
        json={
            "position": "3.7",
            "on": "2026-11-22",
            "answers": {
                "education": "higher",
                "education_pedagogical": True,
                "experience": {"pedagogical": 2},
            },
        },
    )
    outcome = await response.json()
    assert response.status == 200
    assert outcome["ceiling_by_experience"] == "pedagog_moderator"
    assert outcome["categories"][1]["citations"][0]["act"] == "338"


async def test_next_question(client: Client) -> None:
    response = await client.post(
        "/api/v1/assessments/next-question", json={"position": "8.2", "answers": {}}
    )
    body = await response.json()
    assert body["question"]["fact"] == "centre_level"
    assert body["question"]["options"] == ["regional", "district"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ("{not json", 400, "not valid JSON"),
        ({"position": "3.7", "answers": {"experience": {"pedagogical": -2}}}, 422, "negative"),
        ({"position": "3.7", "answers": {"colour": "red"}}, 422, "unknown answer keys: colour"),
        ({"position": "3.77"}, 404, "3.7"),
        ({"position": "3.7", "on": "2019-05-05"}, 422, "no ruleset is in force"),
        ({"answers": {}}, 422, "'position'"),
    ],
)
async def test_bad_requests_get_problem_bodies(
    client: Client,
    body: object,
    status: int,
    needle: str,
) -> None:
    if isinstance(body, str):
        response = await client.post(
            "/api/v1/assessments/evaluate", data=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = await client.post("/api/v1/assessments/evaluate", json=body)
    problem = await response.json()
    assert response.status == status
    assert response.content_type == "application/problem+json"
    assert needle in (
        problem.get("detail", "")
        + " ".join(problem.get("errors", []))
        + " ".join(problem.get("suggestions", []))
    )


async def test_openapi_document_lists_the_routes(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert {
        "/api/v1/positions",
        "/api/v1/positions/{position_id}",
        "/api/v1/assessments/evaluate",
    } <= set(document["paths"])
