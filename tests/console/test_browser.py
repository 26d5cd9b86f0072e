"""The console in a real browser: Debian's headless Chromium driven by Selenium against the real
backend on loopback. Screenshots of the main pages go to var/artifacts/console/."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from pytest_aiohttp import AiohttpServer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from backend.broadcasts.ticker import tick
from backend.db import SessionPool
from backend.directory import REGIONS
from backend.models import Notification, OrganisationDigest
from backend.rules.loader import Ruleset
from backend.settings import Settings
from backend.web.app import create_app
from backend.web.keys import clock_key
from testing.browser import chromium, off_loop, require_chromium, screenshot
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import deliver
from tests.console.support import (
    NOW,
    XSS_NAME,
    World,
    curator_with_audience,
    link_for,
    running_broadcast,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BAD_ROSTER = "\n".join(
    [
        "ФИО;Должность;Telegram;Дата последнего курса;Категория",
        "Новикова Ирина;2.4;;10.05.2023;педагог",
        "Иванов Пётр;99.99;;10.05.2023;педагог",
        "Ли Ольга;2.4;;завтра;педагог",
    ]
)


@pytest.fixture
async def server(
    settings: Settings, engine: AsyncEngine, ruleset: Ruleset, aiohttp_server: AiohttpServer
) -> TestServer:
    require_chromium()
    app = create_app(settings, engine=engine, ruleset=ruleset)
    app[clock_key] = lambda: NOW
    return await aiohttp_server(app, host="127.0.0.1")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    with chromium() as driver:
        yield driver


def _body_text(driver: Any) -> str:
    """The page's text once it has loaded (retried while the document is being replaced)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def loaded(d: Any) -> str | bool:
        try:
            if d.execute_script("return document.readyState") != "complete":
                return False
            return str(d.find_element("tag name", "body").text)
        except WebDriverException:
            return False

    return str(WebDriverWait(driver, 15).until(loaded))


def _open(driver: Any, url: str) -> str:
    driver.get(url)
    return _body_text(driver)


def _submit(driver: Any, element: Any) -> None:
    """Click and wait until the next page has replaced this one."""
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 15).until(lambda _driver: _replaced(page))


def _replaced(page: Any) -> bool:
    """Selenium's ``staleness_of``, also for Chromium's other way of saying it: asked about an
    element while its page is being replaced, it may answer "Node with given id does not belong
    to the document" (an unknown error) instead of "stale element reference"."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def _click(driver: Any, css: str) -> str:
    _submit(driver, driver.find_element("css selector", css))
    return _body_text(driver)


def _filter(driver: Any, status: str, query: str) -> list[str]:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("name", "status")).select_by_value(status)
    search = driver.find_element("name", "q")
    search.clear()
    search.send_keys(query)
    _submit(driver, driver.find_element("id", "apply"))
    rows = driver.find_elements("css selector", "#roster tbody tr td:first-child a")
    return [str(row.text) for row in rows]


def _upload(driver: Any, path: Path) -> list[list[str]]:
    driver.find_element("css selector", "#upload input[type=file]").send_keys(str(path))
    _submit(driver, driver.find_element("css selector", "#upload button"))
    cells = driver.find_elements("css selector", "#bad-rows tbody tr")
    return [[str(td.text) for td in row.find_elements("tag name", "td")] for row in cells]


def _post_without_csrf(driver: Any) -> str:
    """Remove the token from a real form in the page, then submit it as the user would."""
    driver.execute_script(
        "document.querySelectorAll('input[name=csrf]').forEach(e => e.remove());"
    )
    _submit(driver, driver.find_element("id", "create-invitation"))
    return _body_text(driver)


def _images_loaded(driver: Any) -> int:
    """How many chart images the browser decoded (naturalWidth > 0)."""
    return int(
        driver.execute_script(
            "return [...document.querySelectorAll('.chart img')]"
            ".filter(i => i.complete && i.naturalWidth > 0).length;"
        )
    )


def _alert_shown(driver: Any) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return False
    return True


async def test_staff_sign_in_roster_upload_filters_and_refusals(
    *,
    server: TestServer,
    browser: Any,
    session_pool: SessionPool,
    settings: Settings,
    world: World,
    tmp_path: Path,
) -> None:
    link = str(server.make_url(await link_for(session_pool, settings, world.hr_a)))
    confirm = await off_loop(_open, browser, link)
    assert "Войти в Sanat" in confirm
    await off_loop(screenshot, browser, "01-sign-in")
    home = await off_loop(_click, browser, "#sign-in")
    assert "Сапарова Айгүл" in home
    assert "Колледж «Алатау»" in home
    await off_loop(screenshot, browser, "02-home")

    roster_url = str(server.make_url(f"/console/orgs/{world.org_a}"))
    roster = await off_loop(_open, browser, roster_url)
    assert XSS_NAME in roster  # shown as text ...
    assert not await off_loop(_alert_shown, browser)  # ... and never run
    await off_loop(screenshot, browser, "03-roster")

    assert await off_loop(_filter, browser, "overdue", "") == ["Ахметова Сәуле"]
    assert await off_loop(_filter, browser, "", "нұрлан") == ["Жұмабек Нұрлан"]
    await off_loop(screenshot, browser, "04-roster-search")

    await off_loop(_open, browser, roster_url)
    file = tmp_path / "roster.csv"
    file.write_text(BAD_ROSTER, encoding="utf-8")
    bad_rows = await off_loop(_upload, browser, file)
    assert bad_rows == [
        ["3", "неизвестная должность", "99.99"],
        ["4", "дата последнего курса не похожа на дату (пишите ДД.ММ.ГГГГ)", "завтра"],
    ]
    await off_loop(screenshot, browser, "05-roster-upload")

    foreign = await off_loop(_open, browser, str(server.make_url(f"/console/orgs/{world.org_b}")))
    assert "Такой страницы нет" in foreign
    assert "Гимназия" not in foreign

    charts = await off_loop(
        _open, browser, str(server.make_url(f"/console/orgs/{world.org_a}/charts"))
    )
    assert "06.2024" in charts
    assert await off_loop(_images_loaded, browser) == 3  # the SVGs rendered in the page
    await off_loop(screenshot, browser, "06-charts")

    await off_loop(
        _open, browser, str(server.make_url(f"/console/orgs/{world.org_a}/invitations"))
    )
    await off_loop(screenshot, browser, "07-invitations")
    refused = await off_loop(_post_without_csrf, browser)
    assert "У вас нет доступа к этой странице" in refused

    # the used link, opened again, is refused
    await off_loop(_open, browser, link)
    again = await off_loop(_click, browser, "#sign-in")
    assert "уже использована" in again
    await off_loop(screenshot, browser, "08-used-link")


def _compose(driver: Any, region: str) -> str:
    from selenium.webdriver.support.ui import Select

    driver.find_element("name", "text_ru").send_keys("Уважаемые коллеги, собрание завтра.")
    driver.find_element("name", "text_kk").send_keys("Жиналыс ертең.")
    Select(driver.find_element("name", "region")).select_by_value(region)
    _submit(driver, driver.find_element("id", "count-recipients"))
    return str(driver.find_element("id", "count").text)


def _wait_for_status(driver: Any, status: str) -> str:
    """The page refreshes itself while the broadcast runs; wait until it shows ``status``."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> bool:
        try:
            return bool(d.find_element("id", "status").get_attribute("data-status") == status)
        except WebDriverException:
            return False  # the page is being reloaded

    WebDriverWait(driver, 20).until(shown)
    return _body_text(driver)


async def test_a_broadcast_created_and_followed_to_its_end(
    *,
    server: TestServer,
    browser: Any,
    session_pool: SessionPool,
    settings: Settings,
) -> None:
    region = REGIONS[0].code
    curator = await curator_with_audience(session_pool, region, people=3)
    link = str(server.make_url(await link_for(session_pool, settings, curator)))
    await off_loop(_open, browser, link)
    await off_loop(_click, browser, "#sign-in")
    await off_loop(_open, browser, str(server.make_url("/console/broadcasts/new")))
    assert "3" in await off_loop(_compose, browser, region)
    await off_loop(screenshot, browser, "09-broadcast-new")
    running = await off_loop(_click, browser, "#send")
    assert "Идёт отправка" in running
    await off_loop(screenshot, browser, "10-broadcast-running")

    now = dt.datetime.now(dt.UTC)
    assert await deliver(session_pool, MockedBot(), now) == 3
    await tick(session_pool, now)
    done = await off_loop(_wait_for_status, browser, "done")
    assert "100%" in done
    await off_loop(screenshot, browser, "11-broadcast-done")


# --- the Telegram Login Widget, pause/resume/cancel, digest settings, the calendar ----------

WIDGET_TOKEN = "123456789:AAHtestTOKENtestTOKENtestTOKENtest01"


def _widget_query(telegram_id: int, auth_date: int, token: str = WIDGET_TOKEN) -> str:
    """The query string the widget appends to its data-auth-url, signed as Telegram does:
    HMAC-SHA-256 under SHA256(bot token) of the sorted ``key=value`` lines."""
    fields = {
        "id": str(telegram_id),
        "first_name": "Айгүл",
        "username": "saparova",
        "auth_date": str(auth_date),
    }
    data = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    fields["hash"] = hmac.new(secret, data.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def _widget_tag(driver: Any) -> dict[str, str]:
    """The widget's script element as the browser parsed it (its JS from telegram.org cannot
    load here, and nothing else depends on it)."""
    tag = driver.find_element("css selector", "script[data-telegram-login]")
    return {
        name: str(tag.get_attribute(name))
        for name in ("src", "data-telegram-login", "data-auth-url")
    }


def _signed_in_as(driver: Any, base: str) -> str:
    """Which page /console shows now: the home page when signed in, else the sign-in page."""
    return _open(driver, base + "/console")


async def test_the_login_widgets_callback_signs_in_and_a_tampered_one_is_refused(
    *,
    settings: Settings,
    engine: AsyncEngine,
    ruleset: Ruleset,
    aiohttp_server: AiohttpServer,
    browser: Any,
    world: World,
) -> None:
    require_chromium()
    configured = settings.model_copy(
        update={
            "bot": settings.bot.model_copy(
                update={"token": SecretStr(WIDGET_TOKEN), "username": "sanat_test_bot"}
            )
        }
    )
    app = create_app(configured, engine=engine, ruleset=ruleset)
    server = await aiohttp_server(app, host="127.0.0.1")
    base = str(server.make_url("")).rstrip("/")
    await off_loop(_open, browser, base + "/console/login")
    tag = await off_loop(_widget_tag, browser)
    assert tag["data-telegram-login"] == "sanat_test_bot"
    assert tag["data-auth-url"] == "/console/login/telegram"
    assert tag["src"].startswith("https://telegram.org/js/telegram-widget.js")
    await off_loop(screenshot, browser, "12-sign-in-widget")

    now = int(time.time())
    good = _widget_query(9001, now)
    home = await off_loop(_open, browser, f"{base}/console/login/telegram?{good}")
    assert "Сапарова Айгүл" in home  # the HR officer whose Telegram id the widget vouched for
    assert "Колледж «Алатау»" in home
    await off_loop(screenshot, browser, "13-signed-in-by-widget")
    await off_loop(_click, browser, "#sign-out")

    tampered = good.replace("id=9001", "id=9002")  # someone else's id under the same hash
    stale = _widget_query(9001, now - 2 * 86400)
    forged = _widget_query(9001, now, token="987654321:" + "B" * 35)
    for query in (tampered, stale, forged):
        refused = await off_loop(_open, browser, f"{base}/console/login/telegram?{query}")
        assert "уже использована" in refused
        after = await off_loop(_signed_in_as, browser, base)
        assert "Ким Анна" not in after
        assert "Сапарова Айгүл" not in after
        assert "Отправьте /web" in after  # back on the sign-in page
    await off_loop(screenshot, browser, "14-widget-refused")


async def _browser_sign_in(driver: Any, server: TestServer, path: str) -> str:
    await off_loop(_open, driver, str(server.make_url(path)))
    return await off_loop(_click, driver, "#sign-in")


def _press(driver: Any, element_id: str) -> str:
    """Click a button of a page that may reload itself meanwhile (a running broadcast)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _attempt in range(5):
        try:
            _submit(driver, driver.find_element("id", element_id))
            return _body_text(driver)
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"#{element_id} kept going stale")


def _status(driver: Any) -> str:
    return str(driver.find_element("id", "status").get_attribute("data-status"))


def _reach_rows(driver: Any) -> list[list[str]]:
    rows = driver.find_elements("css selector", "#reach-table tbody tr")
    return [[str(td.text) for td in row.find_elements("tag name", "td")] for row in rows]


def _reach_image_loaded(driver: Any) -> bool:
    return bool(
        driver.execute_script(
            "const i = document.getElementById('chart-reach');"
            "return i.complete && i.naturalWidth > 0;"
        )
    )


async def test_a_curator_pauses_resumes_and_cancels_a_broadcast_in_the_browser(
    *,
    server: TestServer,
    browser: Any,
    session_pool: SessionPool,
    settings: Settings,
) -> None:
    region = REGIONS[0].code
    curator = await curator_with_audience(session_pool, region, people=3)
    broadcast_id = await running_broadcast(session_pool, curator, region)
    await _browser_sign_in(browser, server, await link_for(session_pool, settings, curator))
    page = str(server.make_url(f"/console/broadcasts/{broadcast_id}"))
    await off_loop(_open, browser, page)
    paused = await off_loop(_press, browser, "pause")
    assert await off_loop(_status, browser) == "paused"
    assert "Приостановлена" in paused or "paused" in paused.lower()
    await off_loop(screenshot, browser, "15-broadcast-paused")
    async with session_pool() as session:
        held = (
            await session.exec(
                select(Notification.status).where(Notification.broadcast_id == broadcast_id)
            )
        ).all()
    assert sorted(held) == ["held"] * 3
    assert await deliver(session_pool, MockedBot(), dt.datetime.now(dt.UTC)) == 0  # held

    await off_loop(_press, browser, "resume")
    assert await off_loop(_status, browser) == "running"
    assert await deliver(session_pool, MockedBot(), dt.datetime.now(dt.UTC)) == 3
    await off_loop(_open, browser, page)
    assert await off_loop(_reach_rows, browser) == [["без организации", "3", "0", "0"]]
    assert await off_loop(_reach_image_loaded, browser)
    await off_loop(screenshot, browser, "16-broadcast-reach")

    cancelled = await off_loop(_press, browser, "cancel")
    assert await off_loop(_status, browser) == "cancelled"
    assert "Приостановить" not in cancelled  # no buttons left for a finished broadcast
    await off_loop(screenshot, browser, "17-broadcast-cancelled")


def _set_digest(driver: Any, weekday: str, at: str, enabled: bool) -> str:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "digest-weekday")).select_by_value(weekday)
    # a time input's typing depends on the browser's locale: set its value as a picker would
    driver.execute_script("document.getElementById('digest-time').value = arguments[0];", at)
    box = driver.find_element("id", "digest-enabled")
    if box.is_selected() != enabled:
        box.click()
    return _press(driver, "save-digest")


async def test_staff_change_their_digest_settings_in_the_browser(
    *,
    server: TestServer,
    browser: Any,
    session_pool: SessionPool,
    settings: Settings,
    world: World,
) -> None:
    await _browser_sign_in(browser, server, await link_for(session_pool, settings, world.hr_a))
    page = str(server.make_url(f"/console/orgs/{world.org_a}/digest"))
    shown = await off_loop(_open, browser, page)
    assert "Еженедельная сводка" in shown
    assert "по расписанию по умолчанию" in shown
    night = await off_loop(_set_digest, browser, "2", "22:30", True)
    assert "Выберите время с 09:00 до 20:00" in night
    await off_loop(screenshot, browser, "18-digest-error")
    saved = await off_loop(_set_digest, browser, "2", "14:30", True)
    assert "Настройки сводки сохранены" in saved
    await off_loop(screenshot, browser, "19-digest-saved")
    async with session_pool() as session:
        row = await session.get(OrganisationDigest, world.org_a)
    assert row is not None
    assert (row.enabled, row.weekday, row.minute_of_day) == (True, 2, 14 * 60 + 30)
    foreign = await off_loop(
        _open, browser, str(server.make_url(f"/console/orgs/{world.org_b}/digest"))
    )
    assert "Такой страницы нет" in foreign


def _fill_event(driver: Any, start: str, end: str, basis: str) -> str:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("name", "kind")).select_by_value("attestation")
    Select(driver.find_element("name", "audience")).select_by_value("tvet")
    driver.execute_script(
        "document.querySelector('[name=starts_on]').value = arguments[0];"
        "document.querySelector('[name=ends_on]').value = arguments[1];",
        start,
        end,
    )
    field = driver.find_element("name", "legal_basis")
    field.clear()
    field.send_keys(basis)
    return _press(driver, "add-event")


def _event_rows(driver: Any) -> list[str]:
    return [str(row.text) for row in driver.find_elements("css selector", "#events tbody tr")]


async def test_an_admin_keeps_the_calendar_in_the_browser(
    *,
    server: TestServer,
    browser: Any,
    session_pool: SessionPool,
    settings: Settings,
    world: World,
) -> None:
    await _browser_sign_in(browser, server, await link_for(session_pool, settings, world.admin))
    await off_loop(_open, browser, str(server.make_url("/console/admin/calendars")))
    before = len(await off_loop(_event_rows, browser))
    backwards = await off_loop(_fill_event, browser, "2027-05-20", "2027-05-01", "Приказ № 83")
    assert "Окончание раньше начала" in backwards
    await off_loop(screenshot, browser, "20-calendar-error")
    added = await off_loop(_fill_event, browser, "2027-05-01", "2027-05-20", "Приказ № 83")
    assert "Событие добавлено" in added
    rows = await off_loop(_event_rows, browser)
    assert len(rows) == before + 1
    (new,) = [row for row in rows if "01.05.2027" in row]
    # Shown by name in the reader's language, not by the codes the form sends.
    assert "Аттестация" in new
    assert "Техническое и профессиональное, послесреднее образование" in new
    assert "attestation" not in new
    assert "tvet" not in new
    await off_loop(screenshot, browser, "21-calendar")
    event_id = new.split()[0]
    removed = await off_loop(_press, browser, f"remove-{event_id}")
    assert "Событие удалено" in removed
    assert len(await off_loop(_event_rows, browser)) == before
