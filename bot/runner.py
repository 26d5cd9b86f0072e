"""Run the bot alone by long polling or, with SANAT_BOT_MODE=webhook, behind aiohttp until stopped.

Running it together with the backend in one process is ``sanat.run.run_all``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from backend.db import create_engine, create_session_pool
from backend.metrics import Metrics, metrics_response
from backend.rules.loader import default_ruleset
from backend.runtime import install_stop_signals
from backend.settings import Settings, SettingsError
from bot.commands import register_commands
from bot.factory import create_bot, create_dispatcher, create_i18n, freeze_startup_objects
from bot.middlewares import IN_FLIGHT
from bot.storage import create_storage
from bot.webhook import CheckedRequestHandler

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 10.0  # let updates in progress finish their Bot API calls


def check_webhook_settings(settings: Settings) -> None:
    if settings.bot.mode != "webhook":
        return
    missing = [
        name
        for name, value in (
            ("SANAT_BOT_WEBHOOK_URL", settings.bot.webhook_url),
            ("SANAT_BOT_WEBHOOK_SECRET", settings.bot.webhook_secret),
        )
        if not value
    ]
    if missing:
        raise SettingsError(f"SANAT_BOT_MODE=webhook needs {' and '.join(missing)}")


async def _healthz(_request: web.Request) -> web.Response:
    """Liveness for the reverse proxy and the container's health check: the process serves."""
    return web.json_response({"status": "ok"})


def create_webhook_app(
    settings: Settings, dp: Dispatcher, bot: Bot, metrics: Metrics | None = None
) -> web.Application:
    """aiohttp app that takes Telegram's updates; requests without the secret header get 401.
    ``GET /healthz`` answers 200 while the process serves; with ``metrics``, ``GET /metrics``
    shows them (Prometheus text format)."""
    secret = (
        settings.bot.webhook_secret.get_secret_value() if settings.bot.webhook_secret else None
    )
    app = web.Application()
    app.router.add_get("/healthz", _healthz)
    CheckedRequestHandler(
        dispatcher=dp,
        bot=bot,
        secret_token=secret,
        max_concurrent=settings.bot.max_concurrent_updates,
    ).register(app, path=settings.bot.webhook_path)
    setup_application(app, dp, bot=bot)
    if metrics is not None:

        async def show_metrics(request: web.Request) -> web.Response:
            return await metrics_response(metrics)

        app.router.add_get("/metrics", show_metrics)
    return app


async def _serve_webhook(
    settings: Settings, dp: Dispatcher, bot: Bot, stop: asyncio.Event, metrics: Metrics
) -> None:
    assert settings.bot.webhook_url is not None
    assert settings.bot.webhook_secret is not None
    app = create_webhook_app(settings, dp, bot, metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.bot.webhook_host, settings.bot.webhook_port)
    await site.start()
    await bot.set_webhook(
        url=settings.bot.webhook_url.rstrip("/") + settings.bot.webhook_path,
        secret_token=settings.bot.webhook_secret.get_secret_value(),
        allowed_updates=dp.resolve_used_update_types(),
    )
    log.info("bot webhook listening", extra={"port": settings.bot.webhook_port})
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _poll(dp: Dispatcher, bot: Bot, stop: asyncio.Event) -> None:
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False)
    )
    stopped = asyncio.create_task(stop.wait())
    log.info("bot polling started")
    try:
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if polling.done():
            polling.result()  # surface a polling failure (e.g. a revoked token)
    finally:
        stopped.cancel()
        with contextlib.suppress(RuntimeError):  # polling had already ended
            await dp.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)


async def run_bot(settings: Settings, stop: asyncio.Event) -> None:
    check_webhook_settings(settings)
    engine = create_engine(settings.database)
    bot = create_bot(settings.bot)
    session_pool = create_session_pool(engine)
    i18n = create_i18n(settings)
    metrics = Metrics()  # shown at /metrics in webhook mode
    metrics.watch_pool(engine)
    dp = create_dispatcher(
        settings=settings,
        session_pool=session_pool,
        ruleset=default_ruleset(),
        i18n=i18n,
        storage=create_storage(settings, session_pool),
        metrics=metrics,
    )
    try:
        await register_commands(bot, i18n)
        freeze_startup_objects()
        if settings.bot.mode == "webhook":
            await _serve_webhook(settings, dp, bot, stop, metrics)
        else:
            await _poll(dp, bot, stop)
    finally:
        if not await dp[IN_FLIGHT].drained(grace_seconds=SHUTDOWN_GRACE_SECONDS):
            log.warning("stopped with updates still being handled")
        await dp.storage.close()
        await bot.session.close()
        await engine.dispose()
        log.info("bot stopped")


async def run_bot_until_signalled(settings: Settings) -> None:
    stop = asyncio.Event()
    install_stop_signals(stop)
    await run_bot(settings, stop)
