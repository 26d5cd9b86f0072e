"""The console in a real browser: Debian's headless Chromium driven by Selenium against the real
backend on loopback. Screenshots of the main pages go to var/artifacts/console/."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.broadcasts.ticker import tick
from backend.db import SessionPool
from backend.directory import REGIONS
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
    build_world,
    curator_with_audience,
    link_for,
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


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await build_world(session_pool)


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
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(page))


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
