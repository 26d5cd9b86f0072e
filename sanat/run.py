"""The process wiring of ``sanat run``: backend, scheduler and (with a token) the bot together."""

from __future__ import annotations

import asyncio

from backend.runtime import backend_running, install_stop_signals
from backend.settings import Settings
from bot.runner import run_bot


async def run_all(settings: Settings) -> None:
    """The embedded mode: backend, scheduler and (with a token) the bot in one process."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with backend_running(settings):
        if settings.bot.token is not None:
            await run_bot(settings, stop)
        else:
            await stop.wait()
