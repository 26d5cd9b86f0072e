"""Run the bot by long polling until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from backend.db import create_engine, create_session_pool
from backend.rules.loader import default_ruleset
from backend.runtime import backend_running, install_stop_signals
from backend.settings import Settings
from bot.factory import create_bot, create_dispatcher, create_i18n

log = logging.getLogger(__name__)


async def run_bot(settings: Settings, stop: asyncio.Event) -> None:
    engine = create_engine(settings.database)
    bot = create_bot(settings.bot)
    dp = create_dispatcher(
        settings=settings,
        session_pool=create_session_pool(engine),
        ruleset=default_ruleset(),
        i18n=create_i18n(settings),
    )
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=True)
    )
    log.info("bot polling started")
    try:
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if polling.done():
            polling.result()  # surface a polling failure (e.g. a revoked token)
        stopped.cancel()
    finally:
        with contextlib.suppress(RuntimeError):  # polling had already ended
            await dp.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
        await engine.dispose()
        log.info("bot stopped")


async def run_bot_until_signalled(settings: Settings) -> None:
    stop = asyncio.Event()
    install_stop_signals(stop)
    await run_bot(settings, stop)


async def run_all(settings: Settings) -> None:
    """The embedded mode: backend, scheduler and (with a token) the bot in one process."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with backend_running(settings):
        if settings.bot.token is not None:
            await run_bot(settings, stop)
        else:
            await stop.wait()
