"""A shutdown waits for the updates still being handled: the dispatcher's in-flight count
(``UpdateMiddleware``) says drained only once the last one has finished, error or not."""

from __future__ import annotations

import asyncio

from aiogram import Dispatcher, Router
from aiogram.types import Message

from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.context import BotData
from bot.factory import create_i18n
from bot.middlewares import IN_FLIGHT, setup_middlewares
from testing.mocked_bot import MockedBot
from testing.updates import message_update, tg_user


async def test_drained_waits_for_the_updates_in_flight(
    settings: Settings, session_pool: SessionPool, ruleset: Ruleset, bot: MockedBot
) -> None:
    release, entered = asyncio.Event(), asyncio.Event()
    slow = Router(name="slow")

    @slow.message(lambda message: message.text in {"/slow", "/boom"})
    async def handle(message: Message) -> None:
        entered.set()
        await release.wait()
        if message.text == "/boom":
            raise RuntimeError("the handler failed")

    i18n = create_i18n(settings)
    data = BotData(settings=settings, session_pool=session_pool, ruleset=ruleset, i18n=i18n)
    dispatcher = Dispatcher(**data)  # Sanat's middlewares around a handler that waits
    setup_middlewares(dispatcher, session_pool=session_pool, i18n=i18n)
    dispatcher.include_router(slow)
    in_flight = dispatcher[IN_FLIGHT]
    assert await in_flight.drained(grace_seconds=0.01)

    tasks = [
        asyncio.create_task(dispatcher.feed_update(bot, message_update(text, tg_user(9001 + n))))
        for n, text in enumerate(("/slow", "/boom"))
    ]
    await entered.wait()
    await asyncio.sleep(0.01)
    assert not await in_flight.drained(grace_seconds=0.05)  # both still in the handler
    release.set()
    assert await in_flight.drained(grace_seconds=5)
    await asyncio.gather(*tasks, return_exceptions=True)
