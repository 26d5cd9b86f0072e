"""Issue 16's backend reproductions, each against a real server on loopback: a 4xx problem
(never a 500), bounded work, secrets and names out of the log."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession, web
from aiohttp.test_utils import TestClient
from sqlmodel import select

from backend import api_tokens, curators
from backend.db import SessionPool
from backend.models import ApiToken, Membership, Organisation, RosterEntry, User
from backend.rules.loader import Ruleset
from backend.settings import BotSettings, Settings
from backend.staff.digest import Digest, digest_text
from backend.staff.weekly_digest import DIGEST_KIND, enqueue_weekly_digests
from backend.web.app import create_app
from backend.web.keys import body_timeout_key, clock_key
from backend.web.problems import PROBLEM_TYPE
from backend.web.server import ProblemAppRunner
from backend.web.staff_api import XLSX_TYPE
from bot.factory import create_dispatcher, create_i18n
from bot.runner import create_webhook_app
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import curator
from tests.courses.helpers import new_teacher
from tests.staff.helpers import outbox, xlsx_bytes

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[..., Awaitable[Client]]
NOW = dt.datetime(2026, 12, 4, 4, 0, tzinfo=dt.UTC)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def client(
    aiohttp_client: ClientFactory, settings: Settings, engine: object, ruleset: Ruleset
) -> Client:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    app[clock_key] = lambda: NOW
    app[body_timeout_key] = 0.5
    return await aiohttp_client(app, server_kwargs={"host": "127.0.0.1"})


async def _problem(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM_TYPE
    body: dict[str, Any] = await response.json()
    assert body["status"] == status
    return body


async def test_a_megabyte_position_is_refused_at_once(client: Client) -> None:
    for size in (1_000_000, 4_900_000):
        body = io.BytesIO(json.dumps({"position": "a" * size}).encode())
        response = await client.post("/api/v1/assessments/evaluate", data=body, headers=JSON)
        problem = await _problem(response, 422)
        assert problem["invalid"][0]["field"] == "position"
    assert (await client.get("/api/v1/positions/" + "a" * 4000)).status == 404
    assert (await client.get("/api/v1/positions", params={"q": "a" * 5000})).status == 400


async def test_ids_beyond_the_column_range(client: Client, auth_headers: dict[str, str]) -> None:
    for path in (
        "/api/v1/organisations/2147483648",
        "/api/v1/organisations/99999999999999999999999",
        "/api/v1/users/9223372036854775808/courses",
        "/api/v1/broadcasts/2147483648",
        "/api/v1/admin/tokens/2147483648",
    ):
        method = "DELETE" if "tokens" in path else "GET"
        await _problem(await client.request(method, path, headers=auth_headers), 404)
    for path, body in (
        ("/api/v1/broadcasts", {"content": {}, "curator_id": 2**31}),
        ("/api/v1/curators", {"telegram_id": 2**63}),
        ("/api/v1/curators", {"user_id": 2**31}),
        ("/api/v1/organisations", {"name": "x", "kind": "school", "region": 5}),
    ):
        await _problem(await client.post(path, json=body, headers=auth_headers), 422)


async def test_malformed_json_bodies(client: Client, auth_headers: dict[str, str]) -> None:
    evaluate = "/api/v1/assessments/evaluate"
    nested = "[" * 2000 + "]" * 2000
    for raw in (
        nested,
        '{"position": "3.7", "answers": ' + "{" * 40 + "}" * 40 + "}",
        '{"position": ' + "9" * 5000 + "}",
        '{"position": "3.7", "answers": {"experience": {"pedagogical": NaN}}}',
        '{"position": "3.7", "answers": {"experience": {"pedagogical": 1e999}}}',
        "",
    ):
        await _problem(await client.post(evaluate, data=raw, headers=JSON), 400)
    await _problem(await client.post(evaluate, data=b'"\xff\xfe"', headers=JSON), 400)
    bogus = {"Content-Type": "application/json; charset=bogus"}
    await _problem(await client.post(evaluate, data='{"position": "3.7"}', headers=bogus), 415)


async def test_query_and_time_edge_values(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    await _problem(await client.get("/api/v1/positions?limit=%C2%B2"), 400)
    await _problem(await client.get("/api/v1/broadcasts?limit=%C2%B2", headers=auth_headers), 422)
    owner = await curator(session_pool, curators.Scope())
    text = {"ru": {"type": "text", "text": "Сәлем"}}
    for send_at in ("0001-01-01T00:02:00+02:02", "9999-12-31T23:59:59-23:59"):
        response = await client.post(
            "/api/v1/broadcasts",
            json={"content": text, "curator_id": owner, "send_at": send_at},
            headers=auth_headers,
        )
        body = await _problem(response, 422)
        assert body["invalid"] == [{"field": "send_at", "code": "out_of_range"}]


async def test_nul_control_characters_and_long_names(
    client: Client, auth_headers: dict[str, str], session_pool: SessionPool
) -> None:
    await new_teacher(session_pool, 777)
    for path, body in (
        ("/api/v1/organisations", {"name": "Мектеп\x00", "kind": "school"}),
        ("/api/v1/organisations", {"name": "Мектеп\x01", "kind": "school"}),
        ("/api/v1/admin/tokens", {"name": "t" * 300}),
        ("/api/v1/admin/tokens", {"name": "ops\x00"}),
        ("/api/v1/admin/tokens", {"name": "ops", "scope": "curator:٣"}),
        ("/api/v1/admin/tokens", {"name": "ops", "scope": "org:99999999999"}),
        ("/api/v1/users/777/courses", {"completed_on": "01.02.2024", "title": "К\x00урс"}),
    ):
        await _problem(await client.post(path, json=body, headers=auth_headers), 422)
    async with session_pool() as session:
        assert (await session.exec(select(Organisation))).all() == []
        assert len((await session.exec(select(ApiToken))).all()) == 1  # the fixture's


async def test_405_names_the_allowed_methods(client: Client) -> None:
    response = await client.delete("/api/v1/positions")
    await _problem(response, 405)
    assert response.headers["Allow"] == "GET"


async def test_a_body_that_never_finishes_is_cut_off(client: Client) -> None:
    async def trickle() -> Any:
        yield b'{"position": '
        await asyncio.sleep(3)
        yield b'"3.7"}'

    response = await client.post("/api/v1/assessments/evaluate", data=trickle(), headers=JSON)
    await _problem(response, 408)


async def test_a_curator_cannot_tell_foreign_broadcasts_from_missing_ones(
    client: Client, session_pool: SessionPool, settings: Settings, auth_headers: dict[str, str]
) -> None:
    from tests.broadcasts.test_api import token_for

    owner = await curator(session_pool, curators.Scope())
    rival = await curator(session_pool, curators.Scope())
    created = await client.post(
        "/api/v1/broadcasts",
        json={"content": {"ru": {"type": "text", "text": "Сәлем"}}, "curator_id": owner},
        headers=auth_headers,
    )
    broadcast_id = (await created.json())["id"]
    headers = await token_for(session_pool, settings, rival)
    foreign = await client.get(f"/api/v1/broadcasts/{broadcast_id}", headers=headers)
    missing = await client.get(f"/api/v1/broadcasts/{broadcast_id + 1000}", headers=headers)
    assert (foreign.status, missing.status) == (403, 403)
    assert (await foreign.json())["detail"] == (await missing.json())["detail"]


async def test_last_used_at_is_written_at_most_once_a_minute(
    client: Client, session_pool: SessionPool, auth_headers: dict[str, str]
) -> None:
    seen = set()
    for _ in range(5):
        assert (await client.get("/api/v1/organisations", headers=auth_headers)).status == 200
        async with session_pool() as session:
            (token,) = (await session.exec(select(ApiToken))).all()
            seen.add(token.last_used_at)
    assert len(seen) == 1
    assert None not in seen


def _broken_xlsx(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced."""
    good = xlsx_bytes([["ФИО", "Должность", "Дата последнего курса", "Категория"], ["A", 1, 2, 3]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, sheet_xml if item.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def _shared_strings_bomb() -> bytes:
    good = xlsx_bytes([["ФИО", "Должность", "Дата последнего курса", "Категория"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        unused = b"<si><t>" + b"A" * 1000 + b"</t></si>"
        target.writestr("xl/sharedStrings.xml", b"<sst>" + unused * 30_000 + b"</sst>")
    return out.getvalue()


async def test_spreadsheets_that_used_to_stall_or_fail(
    client: Client, auth_headers: dict[str, str], session_pool: SessionPool
) -> None:
    created = await client.post(
        "/api/v1/organisations", json={"name": "Мектеп", "kind": "school"}, headers=auth_headers
    )
    url = f"/api/v1/organisations/{(await created.json())['id']}/roster"
    headers = {**auth_headers, "Content-Type": XLSX_TYPE}
    for data, status in (
        (_broken_xlsx(b"<worksheet><sheetData><row><c"), 422),
        (
            _broken_xlsx(b"<worksheet><sheetData><row><c t='inlineStr'><is><t>&#0;</t></is></c>"),
            422,
        ),
        (_shared_strings_bomb(), 413),
    ):
        response = await client.post(url, data=data, headers=headers)
        await _problem(response, status)
    assert (await client.get("/healthz")).status == 200


async def test_an_unterminated_quote_spoils_one_line_only(
    client: Client, auth_headers: dict[str, str]
) -> None:
    created = await client.post(
        "/api/v1/organisations", json={"name": "Мектеп", "kind": "school"}, headers=auth_headers
    )
    url = f"/api/v1/organisations/{(await created.json())['id']}/roster"
    csv = (
        "ФИО;Должность;Дата последнего курса;Категория\n"
        '"Ким Анна;2.4;01.02.2024;\n'
        "Ли Ольга;2.4;01.02.2024;\n"
        "Бекова Сая;2.4;31.02.2023;\n"
        "Нұрлан\x01 Ерлан;2.4;01.02.2024;\n"
        "Ахметов Ерлан;2.4;01.02.2024;\n"
    ).encode()
    response = await client.post(
        url, data=csv, headers={**auth_headers, "Content-Type": "text/csv"}
    )
    report = await response.json()
    assert response.status == 200, report
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (2, "unclosed_quote"),
        (4, "no_such_date"),
    ]
    assert report["added"] == 3
    roster = await (await client.get(url, headers=auth_headers)).json()
    assert "Нұрлан Ерлан" in [item["full_name"] for item in roster["items"]]


async def _org_with_staff(
    pool: SessionPool, name: str, teacher: str, telegram_id: int, last: dt.date
) -> int:
    async with pool() as session:
        organisation = Organisation(name=name, kind="school")
        session.add(organisation)
        head = User(telegram_id=telegram_id, language="ru")
        session.add(head)
        await session.flush()
        assert organisation.id is not None
        assert head.id is not None
        session.add(Membership(organisation_id=organisation.id, user_id=head.id, role="head"))
        session.add(
            RosterEntry(
                organisation_id=organisation.id,
                full_name=teacher,
                name_key=teacher.casefold(),
                last_course_on=last,
            )
        )
        await session.commit()
        return organisation.id


async def test_poisoned_stored_text_and_a_failing_organisation(
    client: Client,
    *,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
    auth_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Stored before names were cleaned on import: a control character in a name.
    poisoned = await _org_with_staff(
        session_pool, "Бірінші", "Имя\x01Контроль", 9001, dt.date(2020, 1, 1)
    )
    # A date no import would accept, so its digest cannot be computed at all.
    broken = await _org_with_staff(
        session_pool, "Екінші", "Датасы Бұзылған", 9002, dt.date(9999, 12, 1)
    )
    healthy = await _org_with_staff(session_pool, "Үшінші", "Сау Адам", 9003, dt.date(2020, 1, 1))
    for query in ("?format=csv", "?format=xlsx", ""):
        response = await client.get(
            f"/api/v1/organisations/{poisoned}/digest{query}", headers=auth_headers
        )
        assert response.status == 200, await response.text()
    with caplog.at_level(logging.INFO):
        inserted = await enqueue_weekly_digests(session_pool, settings, ruleset, NOW)
    rows = [row for row in await outbox(session_pool) if row.kind == DIGEST_KIND]
    assert sorted(row.dedupe_key.split(":")[1] for row in rows) == sorted(
        [str(poisoned), str(healthy)]
    )
    assert inserted == 4  # message and file for each of the two
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [getattr(r, "organisation_id", None) for r in failures] == [broken]
    assert "Датасы" not in caplog.text


async def test_webhook_refuses_what_is_not_an_update(
    aiohttp_client: ClientFactory,
    *,
    settings: Settings,
    session_pool: SessionPool,
    ruleset: Ruleset,
    bot: MockedBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooked = settings.model_copy(
        update={
            "bot": BotSettings(
                mode="webhook", webhook_url="https://example.invalid", webhook_secret="s3cret"
            )
        }
    )
    dp = create_dispatcher(
        settings=hooked, session_pool=session_pool, ruleset=ruleset, i18n=create_i18n(hooked)
    )
    client = await aiohttp_client(create_webhook_app(hooked, dp, bot))
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    secret_name = "Құпия Есім"
    for body in (
        b"not json",
        b"",
        b'"\xff\xfe"',
        b"[" * 3000 + b"]" * 3000,
        b'{"update_id": "x", "message": {"text": "' + secret_name.encode() + b'"}}',
        b"[1, 2]",
    ):
        with caplog.at_level(logging.INFO):
            response = await client.post("/telegram/webhook", data=body, headers=headers)
        await _problem(response, 400)
    huge = io.BytesIO(b'{"update_id": 1, "x": "' + b"y" * 2_000_000 + b'"}')
    await _problem(await client.post("/telegram/webhook", data=huge, headers=headers), 413)
    assert secret_name not in caplog.text
    assert bot.sent("SendMessage") == []


async def test_unparsable_requests_get_problem_bodies_too(
    settings: Settings, engine: object, ruleset: Ruleset
) -> None:
    app = create_app(settings, engine=engine, ruleset=ruleset)  # type: ignore[arg-type]
    runner = ProblemAppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession(f"http://127.0.0.1:{port}") as session:
            long_url = await session.get("/api/v1/positions?q=" + "a" * 9000)
            long_header = await session.get("/healthz", headers={"X-Long": "b" * 9000})
            fine = await session.get("/healthz")
            for response in (long_url, long_header):
                assert 400 <= response.status < 500
                assert response.content_type == PROBLEM_TYPE
                assert (await response.json())["status"] == response.status
            assert fine.status == 200
    finally:
        await runner.cleanup()


def test_an_export_asked_for_now_is_not_titled_weekly() -> None:
    report = Digest(organisation_id=1, organisation_name="Мектеп", today=dt.date(2026, 5, 5))
    for language, weekly_word in (("kk", "Апталық"), ("ru", "Еженедельная"), ("en", "Weekly")):
        assert weekly_word in digest_text(report, language, 90)
        now = digest_text(report, language, 90, weekly=False)
        assert weekly_word not in now
        assert "Мектеп" in now.splitlines()[0]


async def test_the_token_service_refuses_long_or_control_names(
    session_pool: SessionPool, settings: Settings
) -> None:
    for name in ("t" * 300, "ops\x00", "ops\nroot"):
        with pytest.raises(ValueError, match="printable"):
            await api_tokens.create_token(session_pool, name=name, pepper="")
    with pytest.raises(ValueError, match="scope"):
        await api_tokens.create_token(session_pool, name="ops", pepper="", scope="curator:٣")
