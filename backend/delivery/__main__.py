"""``python -m backend.delivery``: run one delivery worker until SIGTERM or Ctrl-C.

Settings come from the environment (``SANAT_DATABASE_URL``, ``SANAT_BOT_TOKEN``,
``SANAT_BOT_API_SERVER``, ``SANAT_DELIVERY_*``, ``SANAT_REDIS_URL``). Several may run against one
PostgreSQL outbox; they share the send limits through Redis or PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import signal
import sys

from backend.db import create_engine, create_session_pool
from backend.delivery.shared_limits import create_send_limiter
from backend.delivery.telegram import build_bot
from backend.delivery.worker import DEFAULT_LEASE, DeliveryWorker, check_lease
from backend.logs import configure_logging, secrets_of
from backend.settings import Settings, SettingsError, load_settings


async def serve(settings: Settings, lease: dt.timedelta, poll_interval: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    engine = create_engine(settings.database)
    worker = DeliveryWorker(
        settings=settings.delivery,
        session_pool=create_session_pool(engine),
        bot=build_bot(settings.bot),
        lease=lease,
        poll_interval=poll_interval,
        limiter=create_send_limiter(settings),
    )
    try:
        await worker.run(stop)
    finally:
        await worker.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.delivery", description=__doc__)
    parser.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE.total_seconds(),
        help="seconds a claim lasts; a crashed worker's claims are sent again after it",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between looks when idle"
    )
    args = parser.parse_args(argv)
    try:
        check_lease(dt.timedelta(seconds=args.lease))
    except ValueError as error:
        sys.exit(str(error))
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(str(error))
    if settings.bot.token is None:
        sys.exit("SANAT_BOT_TOKEN is not set: there is nothing to deliver with")
    if not settings.delivery.enabled:
        sys.exit("SANAT_DELIVERY_ENABLED is false: not starting the delivery worker")
    configure_logging(settings.log, secrets_of(settings))
    asyncio.run(serve(settings, dt.timedelta(seconds=args.lease), args.poll_interval))


if __name__ == "__main__":
    main()
