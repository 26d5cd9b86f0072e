"""The console over a real HTTP server on loopback and a real database (SQLite, PostgreSQL):
sign-in links, sessions and CSRF, who may open which page, the roster table, upload, exports,
invitations, the language switch and the Telegram Login Widget."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import time

from aiogram import Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import LinkPreviewOptions
from pydantic import SecretStr
from pytest_aiohttp import AiohttpClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from backend.broadcasts.ticker import tick
from backend.db import SessionPool
from backend.directory import REGIONS
from backend.models import Channel, ConsoleSession, Invitation, Submission
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.console.context import COOKIE
from testing.chat import Chat
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import deliver
from tests.console.support import (
    XSS_NAME,
    Client,
    World,
    as_user,
    csrf_of,
    curator_with_audience,
    link_for,
    sign_in,
)

BOT_TOKEN = "123456789:AAHtestTOKENtestTOKENtestTOKENtest01"


async def test_a_one_time_link_signs_in_once(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    path = await link_for(session_pool, settings, world.hr_a)
    confirm = await client.get(path)
    assert confirm.status == 200  # a link preview's GET does not use the link up
    assert "Referrer-Policy" in confirm.headers
    assert confirm.headers["Referrer-Policy"] == "same-origin"

    used = await client.post(path, allow_redirects=False)
    assert used.status == 303
    assert used.headers["Location"] == "/console"
    cookie = used.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    home = await client.get("/console")
    assert home.status == 200
    assert "Сапарова Айгүл" in await home.text()

    client.session.cookie_jar.clear()
    again = await client.post(path, allow_redirects=False)
    assert again.status == 403
    assert "уже использована" in await again.text()
    assert COOKIE not in again.cookies


async def test_an_expired_or_forged_link_is_refused(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    eleven_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    expired = await link_for(session_pool, settings, world.hr_a, now=eleven_minutes_ago)
    assert (await client.post(expired, allow_redirects=False)).status == 403

    good = await link_for(session_pool, settings, world.hr_a)
    nonce, expiry, signature = good.rsplit("/", 1)[1].split(".")
    forged_signature = f"/console/login/{nonce}.{expiry}.{'0' * 32}"
    later_expiry = f"/console/login/{nonce}.{int(expiry) + 3600}.{signature}"
    for forged in (forged_signature, later_expiry):
        assert (await client.post(forged, allow_redirects=False)).status == 403
    assert (await client.post(good, allow_redirects=False)).status == 303  # still unused


async def test_https_makes_the_cookie_secure(
    *,
    engine: AsyncEngine,
    ruleset: Ruleset,
    aiohttp_client: AiohttpClient,
    session_pool: SessionPool,
    settings: Settings,
    world: World,
) -> None:
    secure = settings.model_copy(
        update={"web": settings.web.model_copy(update={"public_url": "https://sanat.example"})}
    )
    client = await aiohttp_client(create_app(secure, engine=engine, ruleset=ruleset))
    path = await link_for(session_pool, secure, world.hr_a)
    response = await client.post(path, allow_redirects=False)
    assert "Secure" in response.headers["Set-Cookie"]


async def test_pages_need_a_session(client: Client, world: World) -> None:
    for page in ("/console", f"/console/orgs/{world.org_a}", "/console/orgs"):
        response = await client.get(page, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/console/login"
    bogus = await client.get("/console", headers=as_user("nope"), allow_redirects=False)
    assert bogus.status == 303


async def test_a_form_without_its_csrf_token_is_refused(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    home = await (await client.get("/console", headers=as_user(token))).text()

    no_token = await client.post("/console/logout", headers=as_user(token), data={})
    wrong = await client.post("/console/logout", headers=as_user(token), data={"csrf": "x" * 32})
    assert no_token.status == wrong.status == 403
    cross_site = await client.post(
        "/console/logout",
        headers={**as_user(token), "Origin": "https://evil.example"},
        data={"csrf": csrf_of(home)},
    )
    assert cross_site.status == 403
    assert (await client.get("/console", headers=as_user(token))).status == 200  # still in

    out = await client.post(
        "/console/logout",
        headers=as_user(token),
        data={"csrf": csrf_of(home)},
        allow_redirects=False,
    )
    assert out.status == 303
    assert (
        await client.get("/console", headers=as_user(token), allow_redirects=False)
    ).status == 303
    async with session_pool() as session:
        assert (await session.exec(select(ConsoleSession))).all() == []


async def test_an_expired_session_signs_out(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    async with session_pool() as session:
        row = (await session.exec(select(ConsoleSession))).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await session.commit()
    response = await client.get("/console", headers=as_user(token), allow_redirects=False)
    assert response.status == 303


async def test_staff_of_one_organisation_cannot_open_anothers_pages(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    hr_b = await sign_in(client, session_pool, settings, world.hr_b)
    teacher = await sign_in(client, session_pool, settings, world.teacher)
    admin = await sign_in(client, session_pool, settings, world.admin)
    pages = ("", "/invitations", "/roster.csv", "/roster.xlsx", "/teachers/1")
    for page in pages:
        foreign = await client.get(f"/console/orgs/{world.org_a}{page}", headers=as_user(hr_b))
        missing = await client.get(f"/console/orgs/999999{page}", headers=as_user(hr_b))
        assert foreign.status == missing.status == 404, page
        # nothing tells them apart but the address itself (the language switch's "next")
        assert (await foreign.text()).replace(f"/orgs/{world.org_a}", "/orgs/N") == (
            await missing.text()
        ).replace("/orgs/999999", "/orgs/N")
        assert "Алатау" not in await foreign.text()
        as_teacher = await client.get(
            f"/console/orgs/{world.org_a}{page}", headers=as_user(teacher)
        )
        assert as_teacher.status == 404
    # the foreign organisation's forms are refused too, even with a valid CSRF token
    own = await (await client.get(f"/console/orgs/{world.org_b}", headers=as_user(hr_b))).text()
    post = await client.post(
        f"/console/orgs/{world.org_a}/invitations",
        headers=as_user(hr_b),
        data={"csrf": csrf_of(own), "role": "hr"},
    )
    assert post.status == 404
    async with session_pool() as session:
        assert (await session.exec(select(Invitation))).all() == []
    listing = await (await client.get("/console/orgs", headers=as_user(hr_b))).text()
    assert "Гимназия №7" in listing
    assert "Алатау" not in listing
    as_admin = await client.get(f"/console/orgs/{world.org_a}", headers=as_user(admin))
    assert as_admin.status == 200


async def test_the_roster_table_filters_searches_sorts_and_escapes(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    base = f"/console/orgs/{world.org_a}"
    page = await (await client.get(base, headers=as_user(token))).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS_NAME not in page
    for name in ("Ахметова Сәуле", "Бекова Гүлнар", "Жұмабек Нұрлан", "Дауренов Ерлан"):
        assert name in page
    assert "5 из 5" in page

    overdue = await (await client.get(base + "?status=overdue", headers=as_user(token))).text()
    assert "Ахметова Сәуле" in overdue
    assert "Бекова Гүлнар" not in overdue
    soon = await (await client.get(base + "?status=due_soon", headers=as_user(token))).text()
    assert "Бекова Гүлнар" in soon
    assert "Жұмабек Нұрлан" not in soon
    valid = await (await client.get(base + "?status=valid", headers=as_user(token))).text()
    assert "Жұмабек Нұрлан" in valid
    assert "Ахметова Сәуле" not in valid
    search = await (await client.get(base + "?q=гүлнар", headers=as_user(token))).text()
    assert "Бекова Гүлнар" in search
    assert "1 из 5" in search
    by_due = await (await client.get(base + "?sort=due", headers=as_user(token))).text()
    order = [by_due.index(name) for name in ("Ахметова", "Бекова", "Жұмабек", "Дауренов")]
    assert order == sorted(order)  # soonest due first, no date last
    odd = await client.get(base + "?status=<b>&sort=drop", headers=as_user(token))
    assert odd.status == 200  # unknown filters fall back, never an error

    exported = await client.get(base + "/roster.csv?status=overdue", headers=as_user(token))
    assert exported.status == 200
    rows = list(csv.reader(io.StringIO((await exported.read()).decode("utf-8-sig"))))
    assert rows[0][0] == "ФИО"
    assert [row[0] for row in rows[1:]] == ["Ахметова Сәуле"]
    xlsx = await client.get(base + "/roster.xlsx", headers=as_user(token))
    assert (await xlsx.read())[:2] == b"PK"


async def test_a_roster_upload_shows_each_bad_row_with_its_line_and_reason(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    base = f"/console/orgs/{world.org_a}"
    csrf = csrf_of(await (await client.get(base, headers=as_user(token))).text())
    data = "\n".join(
        [
            "ФИО;Должность;Telegram;Дата последнего курса;Категория",
            "Новикова Ирина;2.4;;10.05.2023;педагог",
            "Иванов Пётр;99.99;;10.05.2023;педагог",
            "Ли Ольга;2.4;;завтра;педагог",
        ]
    ).encode("utf-8")
    form = {"csrf": csrf, "file": io.BytesIO(data)}
    response = await client.post(base + "/roster", headers=as_user(token), data=form)
    assert response.status == 200
    page = await response.text()
    assert "добавлено 1, обновлено 0, строк в файле: 3" in page
    assert "<td>3</td><td>неизвестная должность</td><td>99.99</td>" in page
    assert (
        "<td>4</td><td>дата последнего курса не похожа на дату (пишите ДД.ММ.ГГГГ)</td>"
        "<td>завтра</td>"
    ) in page
    assert "Новикова Ирина" in page  # the good row went in

    no_csrf = await client.post(
        base + "/roster", headers=as_user(token), data={"file": io.BytesIO(data)}
    )
    assert no_csrf.status == 403


async def test_invitations_are_created_and_revoked(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    base = f"/console/orgs/{world.org_a}/invitations"
    csrf = csrf_of(await (await client.get(base, headers=as_user(token))).text())
    created = await client.post(
        base, headers=as_user(token), data={"csrf": csrf, "role": "teacher"}
    )
    page = await created.text()
    assert "start=" in page
    async with session_pool() as session:
        invitation = (await session.exec(select(Invitation))).one()
    assert invitation.revoked_at is None
    revoked = await client.post(
        f"{base}/{invitation.id}/revoke", headers=as_user(token), data={"csrf": csrf}
    )
    assert revoked.status == 200
    async with session_pool() as session:
        assert (await session.exec(select(Invitation))).one().revoked_at is not None
    bad_role = await client.post(base, headers=as_user(token), data={"csrf": csrf, "role": "x"})
    assert bad_role.status == 400


async def test_the_language_switch(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    page = await (await client.get("/console", headers=as_user(token))).text()
    assert "Мои самооценки" in page
    switched = await client.post(
        "/console/language",
        headers=as_user(token),
        data={"csrf": csrf_of(page), "language": "kk", "next": "https://evil.example/"},
        allow_redirects=False,
    )
    assert switched.status == 303
    assert switched.headers["Location"] == "/console"  # never an open redirect
    kk = await (await client.get("/console", headers=as_user(token))).text()
    assert "Менің өзін-өзі бағалауларым" in kk
    assert '<html lang="kk">' in kk
    en = await (await client.get("/console/login?lang=en")).text()
    assert "Send /web to the Sanat bot" in en


def _widget_fields(telegram_id: int, auth_date: int, token: str = BOT_TOKEN) -> dict[str, str]:
    fields = {"id": str(telegram_id), "first_name": "Айгүл", "auth_date": str(auth_date)}
    data = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    fields["hash"] = hmac.new(secret, data.encode(), hashlib.sha256).hexdigest()
    return fields


async def test_the_telegram_login_widget_is_checked_as_telegram_documents(
    engine: AsyncEngine,
    ruleset: Ruleset,
    aiohttp_client: AiohttpClient,
    settings: Settings,
    world: World,
) -> None:
    configured = settings.model_copy(
        update={
            "bot": settings.bot.model_copy(
                update={"token": SecretStr(BOT_TOKEN), "username": "sanat_test_bot"}
            )
        }
    )
    client = await aiohttp_client(create_app(configured, engine=engine, ruleset=ruleset))
    login = await client.get("/console/login")
    assert 'data-telegram-login="sanat_test_bot"' in await login.text()
    assert "https://telegram.org" in login.headers["Content-Security-Policy"]

    now = int(time.time())
    good = _widget_fields(9001, now)
    response = await client.get("/console/login/telegram", params=good, allow_redirects=False)
    assert response.status == 303
    assert COOKIE in response.cookies
    client.session.cookie_jar.clear()

    tampered = {**good, "id": "9002"}
    wrong_key = _widget_fields(9001, now, token="987654321:" + "B" * 35)
    stale = _widget_fields(9001, now - 2 * 86400)
    stranger = _widget_fields(123, now)  # never opened the bot
    for fields in (tampered, wrong_key, stale, stranger):
        refused = await client.get("/console/login/telegram", params=fields, allow_redirects=False)
        assert refused.status == 403
        assert COOKIE not in refused.cookies


async def test_without_a_bot_the_widget_is_off(client: Client, world: World) -> None:
    login = await client.get("/console/login")
    assert "telegram-widget" not in await login.text()
    fields = _widget_fields(9001, int(time.time()))
    refused = await client.get("/console/login/telegram", params=fields, allow_redirects=False)
    assert refused.status == 403


async def test_web_in_the_bot_sends_a_working_link(
    dispatcher: Dispatcher, bot: MockedBot, client: Client
) -> None:
    chat = Chat(dispatcher, bot, user_id=7301)
    await chat.send("/start")
    await chat.press("Русский")
    await chat.send("/web")
    sent = [r for r in bot.session.requests if isinstance(r, SendMessage)][-1]
    assert "работает один раз" in sent.text
    assert isinstance(sent.link_preview_options, LinkPreviewOptions)
    assert sent.link_preview_options.is_disabled  # a preview's fetch must not use it up
    path = sent.text[sent.text.index("/console/login/") :].split()[0]
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303
    home = await client.get("/console")
    assert home.status == 200
    assert "Мои самооценки" in await home.text()
    client.session.cookie_jar.clear()
    assert (await client.post(path, allow_redirects=False)).status == 403


async def test_the_charts_are_svg_with_the_same_figures_in_a_table(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    token = await sign_in(client, session_pool, settings, world.hr_a)
    base = f"/console/orgs/{world.org_a}/charts"
    page = await (await client.get(base, headers=as_user(token))).text()
    # today is 05.05.2026: 24 months from 06.2024; valid = last course <= month end < due
    assert "<td>06.2024</td><td>3 / 5</td><td>60.0</td>" in page
    assert "<td>02.2025</td><td>4 / 5</td><td>80.0</td>" in page  # before Ахметова's due
    assert "<td>03.2025</td><td>3 / 5</td><td>60.0</td>" in page
    assert "<td>05.2026</td><td>3 / 5</td><td>60.0</td>" in page
    assert "<td>05.2024</td>" not in page  # 24 months, no more
    assert "<td>2.4</td><td>0 / 2</td><td>0.0</td>" in page
    assert "<td>3.7</td><td>3 / 3</td><td>100.0</td>" in page
    assert "<td>педагог</td><td>5</td>" in page
    for chart in ("months", "positions", "categories"):
        svg = await client.get(f"{base}/{chart}.svg", headers=as_user(token))
        assert svg.status == 200
        assert svg.content_type == "image/svg+xml"
        body = await svg.text()
        assert "<svg" in body
        assert "<script" not in body
    other = await sign_in(client, session_pool, settings, world.hr_b)
    assert (await client.get(f"{base}/months.svg", headers=as_user(other))).status == 404
    assert (await client.get(base, headers=as_user(other))).status == 404


async def test_a_curator_counts_sends_and_follows_a_broadcast_to_its_end(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    region = REGIONS[0].code
    curator = await curator_with_audience(session_pool, region, people=3)
    token = await sign_in(client, session_pool, settings, curator)
    form_page = await (await client.get("/console/broadcasts/new", headers=as_user(token))).text()
    assert '<option value="umo:011">УМО по направлению 011</option>' in form_page
    form = {
        "csrf": csrf_of(form_page),
        "text_ru": "Привет, <b>коллеги</b>",
        "text_kk": "Сәлем",
        "topic": "news",
        "region": region,
        "role": "",
        "at": "",
    }
    counted = await client.post(
        "/console/broadcasts/new", headers=as_user(token), data={**form, "action": "count"}
    )
    assert "Получателей сейчас: 3" in await counted.text()
    umo = await client.post(  # a UMO's topic: nobody here picked that training direction
        "/console/broadcasts/new",
        headers=as_user(token),
        data={**form, "topic": "umo:011", "action": "count"},
    )
    assert "Получателей сейчас: 0" in await umo.text()
    sent = await client.post(
        "/console/broadcasts/new",
        headers=as_user(token),
        data={**form, "action": "send"},
        allow_redirects=False,
    )
    assert sent.status == 303
    page_url = sent.headers["Location"]
    running = await (await client.get(page_url, headers=as_user(token))).text()
    assert '<b id="status" data-status="running">Идёт отправка</b>' in running
    assert 'http-equiv="refresh"' in running  # the page follows the progress by itself
    assert '<td id="total">3</td>' in running
    assert "Привет, &lt;b&gt;коллеги&lt;/b&gt;" in running

    now = dt.datetime.now(dt.UTC)
    assert await deliver(session_pool, MockedBot(), now) == 3
    await tick(session_pool, now)
    done = await (await client.get(page_url, headers=as_user(token))).text()
    assert '<b id="status" data-status="done">Завершена</b>' in done
    assert '<td id="sent">3</td>' in done
    assert 'http-equiv="refresh"' not in done
    report = await client.get(page_url + "/report.csv", headers=as_user(token))
    assert len((await report.read()).decode("utf-8-sig").strip().splitlines()) == 4

    listing = await (await client.get("/console/broadcasts", headers=as_user(token))).text()
    assert "3 / 3" in listing
    hr = await sign_in(client, session_pool, settings, world.hr_a)
    for path in ("/console/broadcasts", page_url, "/console/broadcasts/new"):
        assert (await client.get(path, headers=as_user(hr))).status == 404


async def test_admins_manage_api_tokens_and_see_curators_others_get_404(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    await curator_with_audience(session_pool, REGIONS[0].code, people=0)
    admin = await sign_in(client, session_pool, settings, world.admin)
    hr = await sign_in(client, session_pool, settings, world.hr_a)
    for path in ("/console/admin/tokens", "/console/admin/curators"):
        assert (await client.get(path, headers=as_user(hr))).status == 404
    curators_page = await client.get("/console/admin/curators", headers=as_user(admin))
    assert "Куратор" in await curators_page.text()
    page = await (await client.get("/console/admin/tokens", headers=as_user(admin))).text()
    created = await client.post(
        "/console/admin/tokens",
        headers=as_user(admin),
        data={"csrf": csrf_of(page), "name": "HR app", "scope": f"org:{world.org_a}"},
    )
    shown = await created.text()
    token = shown.split("<code>")[1].split("</code>")[0]
    assert token.startswith("snt_")
    api = f"/api/v1/organisations/{world.org_a}/roster"
    assert (await client.get(api, headers={"Authorization": f"Bearer {token}"})).status == 200
    token_id = shown.split("/console/admin/tokens/")[1].split("/revoke")[0]
    forged = await client.post(
        f"/console/admin/tokens/{token_id}/revoke", headers=as_user(hr), data={"csrf": "x"}
    )
    assert forged.status == 403
    revoked = await client.post(
        f"/console/admin/tokens/{token_id}/revoke",
        headers=as_user(admin),
        data={"csrf": csrf_of(page)},
    )
    assert revoked.status == 200
    assert (await client.get(api, headers={"Authorization": f"Bearer {token}"})).status == 401
    bad = await client.post(
        "/console/admin/tokens",
        headers=as_user(admin),
        data={"csrf": csrf_of(page), "name": "x", "scope": "root"},
    )
    assert bad.status == 400


async def test_channels_and_the_monthly_duty_who_has_posted(
    client: Client, session_pool: SessionPool, settings: Settings, world: World
) -> None:
    curator = await curator_with_audience(session_pool, REGIONS[0].code, people=0)
    month = dt.datetime.now(settings.tz).strftime("%Y-%m")
    async with session_pool() as session:
        session.add(
            Channel(
                chat_id=-1001,
                title="Алатау жаңалықтары",
                kind="channel",
                organisation_id=world.org_a,
                links={"channel": "https://t.me/alatau_news"},
                registered_by=curator,
            )
        )
        session.add(
            Submission(
                organisation_id=world.org_a, month=month, source_chat_id=1, source_message_id=1
            )
        )
        await session.commit()
    token = await sign_in(client, session_pool, settings, curator)
    page = await (await client.get("/console/channels", headers=as_user(token))).text()
    assert "Алатау жаңалықтары" in page
    assert 'href="https://t.me/alatau_news"' in page
    duty = page.split('id="duty"')[1]
    alatau = duty.split("Колледж «Алатау»")[1].split("</tr>")[0]
    gymnasium = duty.split("Гимназия №7")[1].split("</tr>")[0]
    assert "✓" in alatau  # posted this month
    assert "✓" not in gymnasium
    hr = await sign_in(client, session_pool, settings, world.hr_a)
    assert (await client.get("/console/channels", headers=as_user(hr))).status == 404
