"""Callback data limits, commands per language, the webhook's secret, state across restarts."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import Message
from pytest_aiohttp import AiohttpClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool, create_engine, create_session_pool
from backend.rules.loader import Ruleset
from backend.settings import BotSettings, DatabaseSettings, Settings
from bot.commands import register_commands
from bot.factory import create_dispatcher, create_i18n
from bot.handlers.assessment.callbacks import (
    CHECK_UNKNOWN,
    AnswerCallback,
    ChecklistCallback,
    NavCallback,
    OrgKindCallback,
    PositionCallback,
    PositionPageCallback,
    ResultCallback,
    ReviewCallback,
)
from bot.runner import create_webhook_app
from bot.storage import SanatRedisStorage, SqlStorage, redis_key_builder
from testing.chat import Chat
from testing.databases import REDIS_ENV, service_url
from testing.mocked_bot import MockedBot

TOKEN = "ffffff"  # dialog tokens are 6 hex digits


def test_callback_data_fits_64_bytes_for_the_longest_ids(ruleset: Ruleset) -> None:
    longest_id = max(ruleset.positions, key=len)
    many = 10**6  # a dialog of a million steps still fits
    packed = [
        OrgKindCallback(t=TOKEN, k=len(ruleset.meta.org_kinds) - 1),
        PositionPageCallback(t=TOKEN, k=7, p=99),
        PositionCallback(t=TOKEN, id=longest_id),
        AnswerCallback(t=TOKEN, s=many, v="99"),
        ChecklistCallback(t=TOKEN, s=many, i=CHECK_UNKNOWN),
        ChecklistCallback(t=TOKEN, s=many, i=99),
        NavCallback(t=TOKEN, a="continue"),
        ReviewCallback(t=TOKEN, i=99),
        ResultCallback(t=TOKEN, a="review"),
    ]
    for data in packed:
        assert len(data.pack().encode("utf-8")) <= 64, data.pack()


async def test_commands_are_registered_per_language(bot: MockedBot, settings: Settings) -> None:
    await register_commands(bot, create_i18n(settings))
    calls = {call.language_code: call.commands for call in bot.sent("SetMyCommands")}
    assert set(calls) == {"kk", "ru", None}
    kk = {c.command: c.description for c in calls["kk"]}
    ru = {c.command: c.description for c in calls["ru"]}
    assert kk["language"] == "Тілді өзгерту"
    assert ru["language"] == "Сменить язык"
    assert [c.command for c in calls[None]] == [c.command for c in calls["ru"]]


async def test_webhook_refuses_requests_without_the_secret(
    settings: Settings,
    session_pool: SessionPool,
    ruleset: Ruleset,
    bot: MockedBot,
    aiohttp_client: AiohttpClient,
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
    app = create_webhook_app(hooked, dp, bot)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"},
            "text": "/help",
        },
    }
    client = await aiohttp_client(app)
    missing = await client.post("/telegram/webhook", json=update)
    wrong = await client.post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    right = await client.post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    )
    for _ in range(100):  # aiogram handles webhook updates in the background
        if bot.sent("SendMessage"):
            break
        await asyncio.sleep(0.02)
    assert (missing.status, wrong.status, right.status) == (401, 401, 200)
    assert len(bot.sent("SendMessage")) == 1  # only the authorised update was handled
    healthz = await client.get("/healthz")  # the proxy's and the container's health check
    assert (healthz.status, await healthz.json()) == (200, {"status": "ok"})


async def test_a_webhook_burst_is_handled_a_few_updates_at_a_time(
    settings: Settings, bot: MockedBot, aiohttp_client: AiohttpClient
) -> None:
    """Telegram gets its 200 at once for every update of a burst, but no more than
    ``max_concurrent_updates`` are handled together (each would hold database connections)."""
    limit, burst = 3, 24
    hooked = settings.model_copy(
        update={
            "bot": BotSettings(
                mode="webhook",
                webhook_url="https://example.invalid",
                webhook_secret="s3cret",
                max_concurrent_updates=limit,
            )
        }
    )
    running, most, handled = 0, 0, []
    router = Router()

    @router.message()
    async def slow_handler(message: Message) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        running -= 1
        handled.append(message.message_id)

    dp = Dispatcher()
    dp.include_router(router)
    client = await aiohttp_client(create_webhook_app(hooked, dp, bot))
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    answers = await asyncio.gather(
        *(
            client.post(
                "/telegram/webhook",
                headers=headers,
                json={
                    "update_id": n,
                    "message": {
                        "message_id": n,
                        "date": 0,
                        "chat": {"id": 5, "type": "private"},
                        "from": {"id": 5, "is_bot": False, "first_name": "A"},
                        "text": "hi",
                    },
                },
            )
            for n in range(burst)
        )
    )
    for _ in range(200):
        if len(handled) == burst:
            break
        await asyncio.sleep(0.02)
    assert [answer.status for answer in answers] == [200] * burst
    assert sorted(handled) == list(range(burst))  # every update handled, none lost
    assert most == limit  # the bound was reached and never passed


@pytest.mark.parametrize("store", ["sql", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_restarted_bot_continues_at_the_same_step(
    store: str, settings: Settings, database_url: str, ruleset: Ruleset
) -> None:
    """The dialog state is written at every step: a bot killed after a step (its dispatcher,
    engine and Redis client gone) resumes at that step in a new process."""
    prefix = f"sanat-test:{uuid.uuid4().hex}"
    opened: list[tuple[AsyncEngine, BaseStorage]] = []

    def fresh_dispatcher() -> Dispatcher:  # a new process: new engine, storage and dispatcher
        engine = create_engine(DatabaseSettings(url=database_url))
        pool = create_session_pool(engine)
        storage: BaseStorage = (
            SqlStorage(pool)
            if store == "sql"
            else SanatRedisStorage.from_url(
                service_url(REDIS_ENV), key_builder=redis_key_builder(prefix)
            )
        )
        opened.append((engine, storage))
        return create_dispatcher(
            settings=settings,
            session_pool=pool,
            ruleset=ruleset,
            i18n=create_i18n(settings),
            storage=storage,
        )

    try:
        first = Chat(fresh_dispatcher(), MockedBot(), user_id=8101)
        await first.send("/start")
        await first.press("Русский")
        await first.press("📝")
        await first.send("учитель")
        await first.press("Учителя всех специальностей")
        await first.press("Высшее")
        question = first.last_screen().text
        buttons = first.buttons()
        for engine, storage in opened:  # killed: nothing more is written by the first process
            await storage.close()
            await engine.dispose()

        after_restart = Chat(fresh_dispatcher(), MockedBot(), user_id=8101)
        await after_restart.press_data(next(data for text, data in buttons if text == "Да"))
        assert "Сколько лет" in after_restart.last_screen().text
        assert "Шаг 3" in after_restart.last_screen().text
        assert "педагогическое" in question
        await after_restart.send("5")  # and goes on from there
        assert "Шаг 4" in after_restart.last_screen().text
    finally:
        for engine, storage in opened:
            await storage.close()
            await engine.dispose()
        if store == "redis":
            client = Redis.from_url(service_url(REDIS_ENV))
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
