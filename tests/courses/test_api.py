"""The courses API over a real HTTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from PIL import Image
from pytest_aiohttp import AiohttpClient

from backend.db import SessionPool
from backend.pictures.style import WIDTH
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from tests.courses.helpers import local, new_teacher

Client = TestClient[web.Request, web.Application]
NOW = local(2026, 5, 5, 10)  # 05.05.2026 in Almaty
BASE = "/api/v1/users/777/courses"


@pytest.fixture
async def client(
    *,
    settings: Settings,
    engine: object,
    ruleset: Ruleset,
    session_pool: SessionPool,
    auth_headers: dict[str, str],
    aiohttp_client: AiohttpClient,
) -> Client:
    await new_teacher(session_pool, 777)
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    return await aiohttp_client(app, headers=auth_headers)


async def test_add_list_edit_delete(client: Client) -> None:
    response = await client.post(
        BASE,
        json={
            "completed_on": "10.05.2023",
            "title": "Жаңартылған білім беру мазмұны",
            "provider": "orleu",
            "hours": 72,
            "certificate_number": "№ 0012",
            "certificate_file_id": "AgACAgIAAxkBAAI",
            "certificate_sha256": "ab" * 32,
        },
    )
    created = await response.json()
    assert response.status == 201
    assert created["completed_on"] == "2023-05-10"
    assert created["completed_on_display"] == "10.05.2023"
    course_id = created["id"]
    listed = await (await client.get(BASE)).json()
    assert listed["count"] == 1
    assert listed["items"][0]["certificate_sha256"] == "ab" * 32
    response = await client.patch(
        f"{BASE}/{course_id}", json={"completed_on": "2023-06-10", "hours": 36}
    )
    edited = await response.json()
    assert response.status == 200
    assert (edited["completed_on"], edited["hours"], edited["provider"]) == (
        "2023-06-10",
        36,
        "orleu",
    )
    response = await client.delete(f"{BASE}/{course_id}")
    assert response.status == 204
    assert (await (await client.get(BASE)).json())["count"] == 0
    response = await client.delete(f"{BASE}/{course_id}")
    assert response.status == 404
    assert response.content_type == "application/problem+json"


async def test_validation_problems(client: Client) -> None:
    response = await client.post(
        BASE, json={"completed_on": "06.05.2026", "title": "Курс", "provider": "bilim"}
    )
    problem = await response.json()
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert problem["invalid"] == [
        {"field": "completed_on", "code": "date_future"},
        {"field": "provider", "code": "provider_unknown"},
    ]
    for bad, code in (("31.02.2024", "date_invalid"), ("1990-05-01", "date_too_early")):
        response = await client.post(
            BASE, json={"completed_on": bad, "title": "Курс", "provider": "talap"}
        )
        assert (await response.json())["invalid"][0]["code"] == code
    response = await client.post(BASE, data=b"{not json", headers={"Content-Type": "text/json"})
    assert response.status == 400
    response = await client.post(BASE, json=["a list"])
    assert response.status == 422
    response = await client.patch(f"{BASE}/999", json={"hours": 10})
    assert response.status == 404
    response = await client.patch(f"{BASE}/999", json={"title": None})
    assert response.status == 422
    response = await client.get("/api/v1/users/12345/courses")
    assert response.status == 404
    assert "12345" in (await response.json())["detail"]


async def test_due_and_calendar(client: Client) -> None:
    body = await (await client.get(f"{BASE}/due")).json()
    assert body["due_on"] is None
    assert body["period_years"] == 3
    response = await client.get(f"{BASE}/calendar.ics")
    assert response.status == 404
    for day in ("10.05.2023", "01.09.2020"):
        await client.post(BASE, json={"completed_on": day, "title": "Курс", "provider": "other"})
    body = await (await client.get(f"{BASE}/due")).json()
    assert body["due_on"] == "2026-05-10"
    assert body["due_on_display"] == "10.05.2026"
    assert body["days_left"] == 5
    assert body["overdue"] is False
    assert body["current_milestone"] == "d7"
    assert body["citation"]["lines"] == [2069, 2072]
    first = body["milestones"][0]
    assert first == {
        "id": "d180",
        "on": "2025-11-11",
        "send_at": "2025-11-11T04:00:00+00:00",
        "reached": True,
    }
    assert [item["id"] for item in body["milestones"][:6]] == [
        "d180",
        "d90",
        "d30",
        "d7",
        "d0",
        "o30",
    ]
    response = await client.get(f"{BASE}/calendar.ics", params={"lang": "kk"})
    assert response.status == 200
    assert response.content_type == "text/calendar"
    raw = await response.read()
    text = raw.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20260510" in unfolded
    assert "Біліктілікті арттыру курсының мерзімі: 10.05.2026" in unfolded
    assert "DTSTAMP:20260505T050000Z" in unfolded


async def test_openapi_documents_the_routes(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    assert set(paths["/api/v1/users/{telegram_id}/courses"]) == {"parameters", "get", "post"}
    assert set(paths["/api/v1/users/{telegram_id}/courses/{course_id}"]) == {
        "parameters",
        "patch",
        "delete",
    }
    assert "/api/v1/users/{telegram_id}/courses/due" in paths
    assert "/api/v1/users/{telegram_id}/courses/calendar.ics" in paths
    assert "/api/v1/users/{telegram_id}/courses/timeline.png" in paths


async def test_timeline_png(client: Client) -> None:
    response = await client.get(f"{BASE}/timeline.png")
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    await client.post(
        BASE, json={"completed_on": "10.05.2023", "title": "Курс", "provider": "other"}
    )
    response = await client.get(f"{BASE}/timeline.png")
    assert response.status == 200
    assert response.content_type == "image/png"
    assert (await response.read()).startswith(b"\x89PNG\r\n\x1a\n")


async def test_timeline_png_in_the_asked_language(client: Client) -> None:
    await client.post(
        BASE, json={"completed_on": "10.05.2023", "title": "Курс", "provider": "other"}
    )
    pictures = {}
    for language in ("kk", "ru"):
        response = await client.get(f"{BASE}/timeline.png", params={"lang": language})
        assert response.status == 200
        pictures[language] = await response.read()
        image = Image.open(io.BytesIO(pictures[language]))
        assert image.format == "PNG"
        assert image.width == WIDTH
    assert pictures["kk"] != pictures["ru"]  # the same dates, other words
    response = await client.get(f"{BASE}/timeline.png", params={"lang": "de"})
    assert response.status == 400
    assert response.content_type == "application/problem+json"
