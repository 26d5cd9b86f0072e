"""The organisations API over a real HTTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from pytest_aiohttp import AiohttpClient

from backend import api_tokens, staff
from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings, StaffSettings
from backend.web.app import create_app
from backend.web.keys import clock_key
from backend.web.staff_api import XLSX_TYPE
from tests.staff.helpers import HEADER_RU, csv_bytes, new_organisation, new_user, xlsx_bytes

Client = TestClient[web.Request, web.Application]
NOW = dt.datetime(2026, 5, 5, 6, 0, tzinfo=dt.UTC)  # 05.05.2026 11:00 in Almaty
MAX_BYTES = 16_384  # an XLSX of a few rows is about 5 KB


@pytest.fixture
async def client(
    settings: Settings, engine: object, ruleset: Ruleset, aiohttp_client: AiohttpClient
) -> Client:
    settings = settings.model_copy(
        update={
            "staff": StaffSettings(roster_max_bytes=MAX_BYTES, roster_max_rows=20),
            "bot": settings.bot.model_copy(update={"username": "sanat_test_bot"}),
        }
    )
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    return await aiohttp_client(app)


async def token_for(pool: SessionPool, settings: Settings, scope: str) -> dict[str, str]:
    created = await api_tokens.create_token(
        pool, name=scope, pepper=api_tokens.pepper_of(settings), scope=scope
    )
    return {"Authorization": f"Bearer {created.token}"}


async def test_401_without_a_token_and_403_outside_the_scope(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    mine = await new_organisation(session_pool)
    other = await new_organisation(session_pool, "Чужая школа")
    response = await client.get(f"/api/v1/organisations/{mine}")
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    headers = await token_for(session_pool, settings, f"org:{mine}")
    assert (await client.get(f"/api/v1/organisations/{mine}", headers=headers)).status == 200
    for method, path in [
        ("GET", f"/api/v1/organisations/{other}"),
        ("GET", f"/api/v1/organisations/{other}/digest"),
        ("POST", f"/api/v1/organisations/{other}/invitations"),
        ("POST", "/api/v1/organisations"),
        ("GET", "/api/v1/organisations"),
    ]:
        response = await client.request(method, path, headers=headers, json={})
        assert response.status == 403, path
        assert (await response.json())["status"] == 403


async def test_admin_creates_an_organisation_and_invitations(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    bad = await client.post(
        "/api/v1/organisations", headers=auth_headers, json={"name": "", "kind": "bank"}
    )
    assert bad.status == 422
    assert {item["field"] for item in (await bad.json())["invalid"]} == {"name", "kind"}
    created = await client.post(
        "/api/v1/organisations",
        headers=auth_headers,
        json={"name": "Колледж №3", "kind": "tvet", "region": "almaty"},
    )
    assert created.status == 201
    organisation = await created.json()
    assert (organisation["name"], organisation["kind"]) == ("Колледж №3", "tvet")
    base = f"/api/v1/organisations/{organisation['id']}"

    response = await client.post(
        base + "/invitations", headers=auth_headers, json={"role": "head", "max_uses": 2}
    )
    assert response.status == 201
    invitation = await response.json()
    assert invitation["link"] == f"https://t.me/sanat_test_bot?start={invitation['token']}"
    assert (invitation["role"], invitation["max_uses"], invitation["active"]) == ("head", 2, True)
    assert (
        await client.post(base + "/invitations", headers=auth_headers, json={"role": "boss"})
    ).status == 422
    assert (
        await client.post(
            base + "/invitations", headers=auth_headers, json={"role": "hr", "days": 0}
        )
    ).status == 422

    user_id = await new_user(session_pool, 4242)
    async with session_pool() as session:
        joined = await staff.redeem_invitation(
            session=session, token=invitation["token"], user_id=user_id, now=NOW
        )
    assert joined.role == "head"

    listed = await (await client.get(base + "/invitations", headers=auth_headers)).json()
    assert [(item["id"], item["uses"]) for item in listed["items"]] == [(invitation["id"], 1)]
    assert "token" not in listed["items"][0]
    deleted = await client.delete(f"{base}/invitations/{invitation['id']}", headers=auth_headers)
    assert deleted.status == 204
    listed = await (await client.get(base + "/invitations", headers=auth_headers)).json()
    assert listed["items"][0]["active"] is False
    assert (await client.delete(f"{base}/invitations/999", headers=auth_headers)).status == 404
    assert (await client.get("/api/v1/organisations/999", headers=auth_headers)).status == 404


async def test_roster_import_and_digest_with_an_org_token(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    organisation_id = await new_organisation(session_pool)
    headers = await token_for(session_pool, settings, f"org:{organisation_id}")
    base = f"/api/v1/organisations/{organisation_id}"
    data = csv_bytes(
        [
            HEADER_RU,
            "Сапарова Айгуль;2.4;;01.03.2023;педагог",  # overdue since 01.03.2026
            "Ким Анна;2.4;;10.06.2023;педагог",  # due 10.06.2026: 36 days
            "Ли Ольга;2.4;;31.13.2023;педагог",  # line 4: bad date
            "@SUM(A1:A9);2.4;;01.01.2024;педагог",  # formula-like name: stored, exported safely
        ],
        encoding="cp1251",
    )
    response = await client.post(
        base + "/roster?filename=staff.csv",
        data=data,
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status == 200, await response.text()
    report = await response.json()
    assert (report["added"], report["updated"], report["rows_total"]) == (3, 0, 4)
    assert report["errors"] == [{"line": 4, "code": "bad_date", "detail": "31.13.2023"}]

    sheet = xlsx_bytes(
        [
            ["Full name", "Position", "Last course date", "Category"],
            ["Ким Анна", "2.4", "10.07.2023", "teacher"],
        ]
    )
    response = await client.post(
        base + "/roster", data=sheet, headers={**headers, "Content-Type": XLSX_TYPE}
    )
    assert (await response.json())["updated"] == 1

    digest = await (await client.get(base + "/digest", headers=headers)).json()
    assert digest["as_of"] == "2026-05-05"
    assert [(row["full_name"], row["days_left"]) for row in digest["overdue"]] == [
        ("Сапарова Айгуль", -65)
    ]
    assert [(row["full_name"], row["due_on"]) for row in digest["due_soon"]] == [
        ("Ким Анна", "2026-07-10")
    ]
    response = await client.get(base + "/digest?format=csv&language=en", headers=headers)
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Full name", "Position"]
    assert [row[0] for row in rows[1:]] == ["Сапарова Айгуль", "Ким Анна"]
    response = await client.get(base + "/digest?format=xlsx", headers=headers)
    assert response.content_type == XLSX_TYPE
    workbook = load_workbook(io.BytesIO(await response.read()))
    assert workbook.worksheets[0].cell(row=1, column=1).value == "ФИО"
    assert (await client.get(base + "/digest?format=pdf", headers=headers)).status == 422

    roster = await (await client.get(base + "/roster", headers=headers)).json()
    assert "@SUM(A1:A9)" in [item["full_name"] for item in roster["items"]]


async def test_roster_refusals_are_problems_and_import_nothing(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    organisation_id = await new_organisation(session_pool)
    base = f"/api/v1/organisations/{organisation_id}"
    csv_headers = {**auth_headers, "Content-Type": "text/csv"}
    too_large = csv_bytes([HEADER_RU] + ["Учитель;2.4;;01.01.2024;педагог"] * 600)
    assert len(too_large) > MAX_BYTES
    response = await client.post(base + "/roster", data=too_large, headers=csv_headers)
    assert response.status == 413
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == "too_large"

    many = csv_bytes([HEADER_RU] + [f"Учитель {n};2.4;;01.01.2024;педагог" for n in range(21)])
    response = await client.post(base + "/roster", data=many, headers=csv_headers)
    assert response.status == 422
    assert (await response.json())["code"] == "too_many_rows"

    response = await client.post(base + "/roster", data=b"a,b\n1,2\n", headers=csv_headers)
    assert (await response.json())["code"] == "no_header"
    response = await client.post(
        base + "/roster", data=b"{}", headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert response.status == 415
    roster = await (await client.get(base + "/roster", headers=auth_headers)).json()
    assert roster["items"] == []


async def test_openapi_documents_the_routes(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    paths = document["paths"]
    assert "post" in paths["/api/v1/organisations"]
    roster = paths["/api/v1/organisations/{organisation_id}/roster"]["post"]
    assert {"200", "401", "403", "413", "422"} <= set(roster["responses"])
    assert "ImportReport" in document["components"]["schemas"]


async def test_an_organisations_digest_schedule_over_the_api(
    client: Client, session_pool: SessionPool, settings: Settings
) -> None:
    mine = await new_organisation(session_pool)
    other = await new_organisation(session_pool, "Чужая школа")
    headers = await token_for(session_pool, settings, f"org:{mine}")
    path = f"/api/v1/organisations/{mine}/digest/schedule"
    default = await client.get(path, headers=headers)
    assert default.status == 200
    assert await default.json() == {"enabled": True, "weekday": 0, "time": "09:00", "own": False}

    for body in (
        {"enabled": True, "weekday": 2, "time": "22:30"},  # quiet hours
        {"enabled": True, "weekday": 7, "time": "10:00"},
        {"enabled": True, "weekday": 2, "time": "9:00"},
        {"enabled": True, "weekday": "2", "time": "10:00"},
        {"weekday": 2, "time": "10:00"},
    ):
        refused = await client.put(path, headers=headers, json=body)
        assert refused.status == 422, body
        assert refused.content_type == "application/problem+json"
    assert (await (await client.get(path, headers=headers)).json())["own"] is False

    saved = await client.put(
        path, headers=headers, json={"enabled": False, "weekday": 4, "time": "11:15"}
    )
    assert saved.status == 200
    expected = {"enabled": False, "weekday": 4, "time": "11:15", "own": True}
    assert await saved.json() == expected
    assert await (await client.get(path, headers=headers)).json() == expected

    foreign = f"/api/v1/organisations/{other}/digest/schedule"
    assert (await client.get(foreign, headers=headers)).status == 403
    body = {"enabled": True, "weekday": 1, "time": "10:00"}
    assert (await client.put(foreign, headers=headers, json=body)).status == 403
    assert (await client.put(path, json=body)).status == 401
    admin = await token_for(session_pool, settings, "admin")
    missing = "/api/v1/organisations/999999/digest/schedule"
    assert (await client.put(missing, headers=admin, json=body)).status == 404
