"""Every operation of the route table, called for real, answers as the generated document says.

The document comes from the pydantic models (``backend.web.openapi``); each answer here (success
and problem alike) is validated against it with jsonschema, and every operation must be hit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator

from backend import curators
from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from backend.web.openapi import document
from backend.web.routes import OPERATIONS
from backend.web.staff_api import XLSX_TYPE
from tests.backend.contract import response_problems
from tests.broadcasts.helpers import curator, person
from tests.courses.helpers import new_teacher

Client = TestClient[web.Request, web.Application]
NOW = dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)
TELEGRAM_ID = 4242
ROSTER = (
    "ФИО;Должность;Дата последнего курса;Категория\n"
    "Сейтова Айгүл;2.4;10.05.2021;\n"
    "Ким Ольга;3.7;;\n"
    "Бекова Сая;3.7;31.02.2023;\n"
).encode()


@pytest.fixture
async def client(settings: Settings, engine: object, ruleset: Ruleset) -> AsyncIterator[Client]:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


def test_the_document_is_valid_json_schema_and_names_every_route() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    refs = set(re.findall(r"#/components/schemas/(\w+)", str(doc)))
    assert refs <= set(doc["components"]["schemas"])
    documented = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert {(op.method.lower(), op.path) for op in OPERATIONS} <= documented
    assert doc["paths"]["/api/v1/assessments/evaluate"]["post"]["requestBody"]


# the items of profession card 3 (backend/university/data/cards.yaml): function, skill, kind, n
UNIVERSITY_CARD_3 = [
    *((1, 1, "a", n) for n in (1, 2, 3)),
    *((1, 1, "k", n) for n in (1, 2, 3)),
    *((1, 2, "a", n) for n in (1, 2)),
    *((1, 2, "k", n) for n in (1, 2)),
    *((3, 1, "a", n) for n in (1, 2, 3)),
    *((3, 1, "k", n) for n in (1, 2, 3)),
]


async def test_real_answers_of_every_operation_conform(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    await new_teacher(session_pool, TELEGRAM_ID)
    curator_id = await curator(session_pool, curators.Scope())
    grantee = await person(session_pool, name="Болашақ")
    hit: set[tuple[str, str]] = set()
    failures: list[str] = []

    async def call(
        method: str,
        template: str,
        url: str,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        json: object = None,
        data: bytes | None = None,
    ) -> object:
        sent = {**(auth_headers if auth else {}), **(headers or {})}
        response = await client.request(method, url, headers=sent, json=json, data=data)
        body = await response.read()
        failures.extend(
            response_problems(method, template, response.status, response.content_type, body)
        )
        hit.add((method, template))
        return await response.json() if "json" in response.content_type else body

    users = "/api/v1/users/{telegram_id}/courses"
    base = f"/api/v1/users/{TELEGRAM_ID}/courses"
    await call("GET", "/healthz", "/healthz", auth=False)
    await call("GET", "/readyz", "/readyz", auth=False)
    await call("GET", "/metrics", "/metrics", auth=False)
    await call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", auth=False)
    await call("GET", "/api/v1/positions", "/api/v1/positions?q=мұғалім&limit=5", auth=False)
    await call("GET", "/api/v1/positions", "/api/v1/positions?limit=x", auth=False)
    await call("GET", "/api/v1/positions/{position_id}", "/api/v1/positions/3.7", auth=False)
    await call("GET", "/api/v1/positions/{position_id}", "/api/v1/positions/9.99", auth=False)
    await call("GET", "/api/v1/rules/changes", "/api/v1/rules/changes", auth=False)
    pdf = "/api/v1/assessments/{assessment_id}.pdf"
    await call("GET", pdf, "/api/v1/assessments/999.pdf")  # an admin token: 404, no such one
    await call("GET", pdf, "/api/v1/assessments/999.pdf", auth=False)  # 401
    answers = {"education": "higher", "experience": {"pedagogical": 4}}
    for name in ("evaluate", "next-question"):
        path = f"/api/v1/assessments/{name}"
        await call("POST", path, path, json={"position": "3.7", "answers": answers})
        await call("POST", path, path, json={"position": "3.7", "answers": {"x": 1}})
        await call("POST", path, path, data=b"{", headers={"Content-Type": "application/json"})
    await call("GET", users + "/due", base + "/due")
    await call("GET", users + "/calendar.ics", base + "/calendar.ics")
    await call("GET", users + "/timeline.png", base + "/timeline.png")
    course = await call(
        "POST",
        users,
        base,
        json={"completed_on": "10.05.2023", "title": "Курс", "provider": "orleu"},
    )
    assert isinstance(course, dict)
    await call("POST", users, base, json={"completed_on": "31.02.2023"})
    await call("GET", users, base)
    await call("GET", users, "/api/v1/users/1/courses")
    await call("GET", users, base, auth=False)
    one = users + "/{course_id}"
    await call("PATCH", one, f"{base}/{course['id']}", json={"hours": 72})
    await call("GET", users + "/due", base + "/due")
    await call("GET", users + "/calendar.ics", base + "/calendar.ics?lang=kk")
    await call("GET", users + "/timeline.png", base + "/timeline.png")
    await call("DELETE", one, f"{base}/{course['id']}")
    await call("DELETE", one, f"{base}/{course['id']}")

    orgs = "/api/v1/organisations"
    org = await call("POST", orgs, orgs, json={"name": "Мектеп", "kind": "school"})
    assert isinstance(org, dict)
    await call("POST", orgs, orgs, json={"name": "", "kind": "bank"})
    await call("GET", orgs, orgs)
    one_org = orgs + "/{organisation_id}"
    org_url = f"{orgs}/{org['id']}"
    await call("GET", one_org, org_url)
    await call("GET", one_org, f"{orgs}/99999")
    invitation = await call(
        "POST", one_org + "/invitations", org_url + "/invitations", json={"role": "head"}
    )
    assert isinstance(invitation, dict)
    await call("GET", one_org + "/invitations", org_url + "/invitations")
    await call(
        "DELETE",
        one_org + "/invitations/{invitation_id}",
        f"{org_url}/invitations/{invitation['id']}",
    )
    csv_headers = {"Content-Type": "text/csv"}
    await call("POST", one_org + "/roster", org_url + "/roster", data=ROSTER, headers=csv_headers)
    await call(
        "POST",
        one_org + "/roster",
        org_url + "/roster",
        data=b"x",
        headers={"Content-Type": "a/b"},
    )
    await call(
        "POST",
        one_org + "/roster",
        org_url + "/roster",
        data=b"PK\x03\x04",
        headers={"Content-Type": XLSX_TYPE},
    )
    await call("GET", one_org + "/roster", org_url + "/roster")
    for query in ("", "?format=csv", "?format=xlsx&language=kk", "?format=pdf"):
        await call("GET", one_org + "/digest", org_url + "/digest" + query)

    broadcasts = "/api/v1/broadcasts"
    text = {"ru": {"type": "text", "text": "Сәлем, {name}!"}}
    created = await call(
        "POST", broadcasts, broadcasts, json={"content": text, "curator_id": curator_id}
    )
    assert isinstance(created, dict)
    await call("POST", broadcasts, broadcasts, json={"content": {"ru": {"type": "text"}}})
    await call("GET", broadcasts, broadcasts + "?limit=5")
    await call("GET", broadcasts + "/count", f"{broadcasts}/count?curator_id={curator_id}")
    one_broadcast = broadcasts + "/{broadcast_id}"
    url = f"{broadcasts}/{created['id']}"
    await call("GET", one_broadcast, url)
    await call("GET", one_broadcast, f"{broadcasts}/4000000000")
    await call("POST", one_broadcast + "/schedule", url + "/schedule", json={})
    await call(
        "POST",
        one_broadcast + "/schedule",
        url + "/schedule",
        json={"send_at": "2026-12-05T10:00"},
    )
    await call("POST", one_broadcast + "/pause", url + "/pause")
    await call("POST", one_broadcast + "/resume", url + "/resume")
    await call("POST", one_broadcast + "/cancel", url + "/cancel")
    await call("POST", one_broadcast + "/cancel", url + "/cancel")
    await call("GET", one_broadcast + "/report.csv", url + "/report.csv")

    await call("POST", "/api/v1/curators", "/api/v1/curators", json={"user_id": grantee})
    await call("POST", "/api/v1/curators", "/api/v1/curators", json={"scope": {"kind": "x"}})
    await call("GET", "/api/v1/curators", "/api/v1/curators")
    revoke = "/api/v1/curators/{user_id}"
    await call("DELETE", revoke, f"/api/v1/curators/{grantee}")
    await call("DELETE", revoke, f"/api/v1/curators/{grantee}")

    tokens = "/api/v1/admin/tokens"
    token = await call("POST", tokens, tokens, json={"name": "ops", "scope": "org:1"})
    assert isinstance(token, dict)
    await call("POST", tokens, tokens, json={"name": "ops", "scope": "curator:٣"})
    await call("GET", tokens, tokens)
    await call("DELETE", tokens + "/{token_id}", f"{tokens}/{token['id']}")
    await call("DELETE", tokens + "/{token_id}", f"{tokens}/99999")

    calendar = "/api/v1/admin/calendar"
    window = {"start": "2027-04-12", "end": "2027-04-30", "legal_basis": "№999"}
    event = await call("POST", calendar, calendar, json=window)
    assert isinstance(event, dict)
    await call("POST", calendar, calendar, json=window)  # 409
    await call("POST", calendar, calendar, json={"start": "x"})
    await call("GET", calendar, calendar + "?kind=testing")
    await call("GET", calendar, calendar + "?kind=x")
    next_window = "/api/v1/calendar/next-testing-window"
    await call("GET", next_window, next_window, auth=False)
    await call("DELETE", calendar + "/{event_id}", f"{calendar}/{event['id']}")
    await call("DELETE", calendar + "/{event_id}", f"{calendar}/{event['id']}")
    checkins = one_org + "/course-checkins"
    await call("GET", checkins, org_url + "/course-checkins")
    await call("GET", checkins, f"{orgs}/99999/course-checkins")
    await call("GET", "/api/v1/university/cards", "/api/v1/university/cards", auth=False)
    checks = "/api/v1/university/self-checks"
    ratings = {f"c3-f{f}-s{s}-{k}{n}": 2 for f, s, k, n in UNIVERSITY_CARD_3}
    await call(
        "POST", checks, checks, json={"telegram_id": TELEGRAM_ID, "card": 3, "ratings": ratings}
    )
    await call("POST", checks, checks, json={"telegram_id": TELEGRAM_ID, "card": 3, "ratings": {}})
    await call("GET", checks, f"{checks}?telegram_id={TELEGRAM_ID}")
    await call("GET", checks, f"{checks}?telegram_id=x")

    assert failures == []
    assert {(op.method, op.path) for op in OPERATIONS} == hit
