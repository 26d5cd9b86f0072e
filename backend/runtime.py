"""Run the backend (HTTP API + scheduler) until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.broadcasts.ticker import add_broadcast_job
from backend.channels.duty import add_duty_jobs
from backend.courses.service import add_sweep_job
from backend.db import create_engine, create_session_pool
from backend.delivery import DeliveryWorker, create_delivery_worker
from backend.delivery.retention import add_retention_job
from backend.metrics import Metrics
from backend.rules.loader import Ruleset, default_ruleset
from backend.rules.notify import add_rules_change_job
from backend.scheduler import create_scheduler
from backend.settings import Settings
from backend.staff import add_digest_job
from backend.web.app import create_app
from backend.web.keys import roster_parser_key, ruleset_key
from backend.web.server import ProblemAppRunner

log = logging.getLogger(__name__)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT (Ctrl-C) and SIGTERM (docker stop) end the process cleanly."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)


@contextlib.asynccontextmanager
async def backend_running(
    settings: Settings, ruleset: Ruleset | None = None
) -> AsyncIterator[web.AppRunner]:
    engine = create_engine(settings.database)
    metrics = Metrics()  # /metrics shows what the scheduler and the delivery worker count
    app = create_app(
        settings, engine=engine, ruleset=ruleset or default_ruleset(), metrics=metrics
    )
    # Everything loaded so far (libraries, the ruleset) lives as long as the process: keep it out
    # of the cyclic GC, whose full passes over it held the event loop ~0.3 s during a large
    # roster import (bench/hardening.py).
    gc.freeze()
    runner = ProblemAppRunner(app, access_log=None)
    await runner.setup()
    await app[roster_parser_key].warm_up()  # the roster worker process, before any upload
    site = web.TCPSite(runner, settings.web.host, settings.web.port)
    await site.start()
    scheduler = create_scheduler(settings.scheduler)
    if settings.scheduler.enabled:
        pool = create_session_pool(engine)
        add_sweep_job(scheduler, pool, settings, app[ruleset_key], metrics)
        add_retention_job(scheduler, pool, settings)
        add_digest_job(scheduler, pool, settings, app[ruleset_key])
        add_duty_jobs(scheduler, pool, settings)
        add_broadcast_job(scheduler, pool, settings)
        add_rules_change_job(scheduler, pool, app[ruleset_key])
        scheduler.start()
    stop_delivery = asyncio.Event()
    worker, delivering = _start_delivery(settings, engine, stop_delivery, metrics)
    log.info("backend listening", extra={"host": settings.web.host, "port": settings.web.port})
    try:
        yield runner
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if worker is not None and delivering is not None:
            stop_delivery.set()
            await delivering  # gives back what it had claimed and not sent
            await worker.close()
        await runner.cleanup()
        await engine.dispose()
        log.info("backend stopped")


def _start_delivery(
    settings: Settings, engine: AsyncEngine, stop: asyncio.Event, metrics: Metrics
) -> tuple[DeliveryWorker | None, asyncio.Task[None] | None]:
    """The outbox worker runs in the backend process when there is a bot to send with."""
    if not settings.delivery.enabled or settings.bot.token is None:
        return None, None
    worker = create_delivery_worker(settings, create_session_pool(engine), metrics=metrics)
    return worker, asyncio.create_task(worker.run(stop))


async def serve_backend(settings: Settings) -> None:
    stop = asyncio.Event()
    install_stop_signals(stop)
    async with backend_running(settings):
        await stop.wait()
