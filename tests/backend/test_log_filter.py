"""The log filter: each secret planted where libraries put it comes out masked, and values
people typed stay out of warnings and errors (issues 14 and 16)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
from aiogram import Bot, Dispatcher, loggers
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.types import Update
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from backend.db import SessionPool
from backend.logs import configure_logging, secrets_of
from backend.models import Organisation, RosterEntry
from backend.scheduler import create_scheduler
from backend.settings import BotSettings, LogSettings, SchedulerSettings, Settings, WebSettings

BOT_TOKEN = "7012345678:AAE" + "Q" * 32
WEBHOOK_SECRET = "hook-secret-" + "w" * 20
PEPPER = "pepper-" + "p" * 24
API_TOKEN = "snt_" + "T" * 43
NAME = "Сейтова Айгүл Маратқызы"
SECRETS = (BOT_TOKEN, WEBHOOK_SECRET, PEPPER, API_TOKEN)


@pytest.fixture
def log_lines() -> Iterator[None]:
    """Logging as ``sanat`` configures it, with every secret set; reset afterwards."""
    yield
    _unconfigure()


def _configure() -> None:
    """Called in the test itself: the captured stderr of the call is the one written to."""
    settings = Settings(
        _env_file=None,
        bot=BotSettings(token=BOT_TOKEN, webhook_secret=WEBHOOK_SECRET),
        web=WebSettings(api_tokens_pepper=PEPPER),
    )
    configure_logging(LogSettings(level="INFO", format="json"), secrets_of(settings))


def _unconfigure() -> None:
    logging.captureWarnings(False)
    logging.getLogger().handlers[:] = []  # its stream is the test's captured stderr


def _read(capsys: pytest.CaptureFixture[str]) -> list[str]:
    lines = capsys.readouterr().err.strip().splitlines()
    for line in lines:
        assert line.startswith("{"), lines
        json.loads(line)  # every line is one JSON object
    return lines


def _clean(lines: list[str]) -> None:
    text = "\n".join(lines)
    for secret in (*SECRETS, NAME):
        assert secret not in text


def test_each_secret_is_masked_in_message_args_extras_and_exception(
    log_lines: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure()
    log = logging.getLogger("sanat.test")
    log.warning("GET https://api.telegram.org/bot%s/getMe failed", BOT_TOKEN)
    log.warning("headers %s", {"Authorization": f"Bearer {API_TOKEN}"})
    log.warning("webhook", extra={"secret": WEBHOOK_SECRET, "pepper": PEPPER})
    try:
        raise RuntimeError(f"secret_token={WEBHOOK_SECRET} pepper {PEPPER} {BOT_TOKEN}")
    except RuntimeError:
        log.exception("failed")
    lines = _read(capsys)
    assert len(lines) == 4
    _clean(lines)
    assert "<secret>" in json.loads(lines[0])["msg"]
    assert "<secret>" in json.loads(lines[3])["exc"]


async def _never_answers(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response()


@pytest.fixture
async def silent_bot_api() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _never_answers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_aiogram_failed_to_fetch_updates_hides_the_token(
    log_lines: None, capsys: pytest.CaptureFixture[str], silent_bot_api: str
) -> None:
    _configure()
    session = AiohttpSession(api=TelegramAPIServer.from_base(silent_bot_api), timeout=0.3)
    bot = Bot(BOT_TOKEN, session=session)
    try:
        with pytest.raises(TelegramNetworkError) as raised:
            await bot.get_updates(timeout=0)
    finally:
        await bot.session.close()
    # exactly what aiogram's polling loop logs when the Bot API is unreachable
    loggers.dispatcher.error(
        "Failed to fetch updates - %s: %s", "TelegramNetworkError", raised.value
    )
    loggers.dispatcher.exception("url %s", f"{silent_bot_api}/bot{BOT_TOKEN}/getUpdates")
    lines = _read(capsys)
    assert any("Failed to fetch updates" in line for line in lines)
    _clean(lines)


async def test_aiogram_unknown_update_warning_is_one_json_line_without_the_update(
    log_lines: None, capsys: pytest.CaptureFixture[str], dispatcher: Dispatcher, bot: Bot
) -> None:
    _configure()
    update = Update.model_validate({"update_id": 7, "future_kind": {"from": NAME}})
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        await dispatcher.feed_update(bot, update)
    lines = _read(capsys)
    assert any("unknown update type" in line for line in lines)
    _clean(lines)


async def test_database_errors_do_not_print_submitted_values(
    log_lines: None, capsys: pytest.CaptureFixture[str], session_pool: SessionPool
) -> None:
    _configure()
    async with session_pool() as session:
        organisation = Organisation(name="Мектеп", kind="school")
        session.add(organisation)
        await session.commit()
        assert organisation.id is not None
        for _ in range(2):
            session.add(
                RosterEntry(organisation_id=organisation.id, full_name=NAME, name_key=NAME)
            )
        failed = False
        try:
            await session.commit()
        except IntegrityError:
            logging.getLogger("sanat.test").exception("import failed")
            failed = True
        assert failed
    lines = _read(capsys)
    assert len(lines) == 1
    assert "IntegrityError" in lines[0]
    _clean(lines)


async def test_scheduler_runs_are_debug_unless_they_fail(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings(level="INFO", format="json"))
    capsys.readouterr()
    scheduler = create_scheduler(SchedulerSettings())
    done = asyncio.Event()

    async def fine() -> None:
        done.set()

    async def broken() -> None:
        raise ValueError("boom")

    scheduler.add_job(fine, id="fine")
    scheduler.add_job(broken, id="broken")
    two_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    scheduler.add_job(fine, "date", run_date=two_minutes_ago, id="late")
    scheduler.start()
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.sleep(0.2)
    scheduler.shutdown(wait=False)
    lines = [json.loads(line) for line in _read(capsys)]
    _unconfigure()
    assert not [line for line in lines if line["level"] == "INFO"]
    ours = [line for line in lines if line["logger"] == "backend.scheduler"]
    assert sorted((line["level"], line["job"]) for line in ours) == [
        ("ERROR", "broken"),
        ("WARNING", "late"),
    ]
