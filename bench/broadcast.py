"""A curator's broadcast to 10 000 people, end to end: the broadcast service enqueues it, the
delivery worker sends it to the local Bot API server, which enforces a global limit (429 past
it) and answers 403 for the 2% of recipients who blocked the bot.

Prints the sustained rate as a fraction of the limit, the outcome counts (sent, blocked,
failed), duplicates (goal: none, as nothing crashes) and wall times. Every outcome is its own
commit, so the database's commit latency caps the rate: on SQLite here a few hundred a second.
The ``--postgres`` database is made like the tests' (``testing.databases``), without waiting for
the WAL flush at commit; a production server that fsyncs each commit is slower per outcome.

Run: ``.venv/bin/python -m bench.broadcast [--rate 100] [--recipients 10000] [--postgres]``
(``--postgres``: a fresh database on ``SANAT_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import col, func, select

from backend.broadcasts import service as broadcasts
from backend.db import SessionPool, create_engine, create_session_pool
from backend.delivery import DeliveryWorker
from backend.delivery.telegram import build_bot
from backend.migrate import upgrade_async
from backend.models import Notification, User, UserRole
from backend.settings import BotSettings, DatabaseSettings, DeliverySettings
from testing.broadcast_setup import BroadcastSetup, statuses
from testing.databases import fresh_postgres_database
from testing.telegram import LocalBotAPI

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SETUP = BroadcastSetup(
    first_telegram_id=3_000_000,
    languages=("kk", "ru"),
    region="astana",
    texts={"kk": "Сәлеметсіз бе, {name}! Жаңалықтар", "ru": "Здравствуйте, {name}! Новости"},
)


async def add_admin(pool: SessionPool) -> int:
    """An admin to send the broadcast as; their user id."""
    async with pool() as session:
        admin = User(telegram_id=1, full_name="Admin", language="ru")
        session.add(admin)
        await session.flush()
        assert admin.id is not None
        session.add(UserRole(user_id=admin.id, role="admin"))
        await session.commit()
        return admin.id


async def outstanding(pool: SessionPool, broadcast_id: int) -> int:
    async with pool() as session:
        query = (
            select(func.count())
            .where(col(Notification.broadcast_id) == broadcast_id)
            .where(col(Notification.status).in_(("pending", "sending")))
        )
        return int((await session.exec(query)).one())


async def measure(url: str, rate: int, recipients: int) -> None:
    await upgrade_async(url)
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    async with LocalBotAPI(enforce_limits=True, global_per_second=rate) as api:
        await SETUP.add_recipients(pool, api, recipients)
        admin = await add_admin(pool)
        started = time.monotonic()
        broadcast_id, _ = await SETUP.launch(pool, admin)
        enqueued = time.monotonic()
        bot = build_bot(BotSettings(token=api.token, api_server=api.base_url))
        worker = DeliveryWorker(
            settings=DeliverySettings(global_rate=rate), session_pool=pool, bot=bot
        )
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        # The database has no change notification to wait on: poll it.
        while await outstanding(pool, broadcast_id):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        finished = time.monotonic()
        stop.set()
        await running
        await worker.close()
        calls = api.calls_to("sendMessage")
        outbox = await statuses(pool, broadcast_id)
        async with pool() as session:
            report = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    await engine.dispose()

    accepted = sorted(call.at for call in calls if call.ok)
    refused = Counter(call.error_code for call in calls if not call.ok)
    copies = Counter(call.params["chat_id"] for call in calls if call.ok)
    duplicates = sum(n - 1 for n in copies.values())
    # From the first send to the first send of the last whole second's worth: a burst at
    # either end cannot flatter the figure.
    whole = (len(accepted) - 1) // rate * rate
    achieved = whole / (accepted[whole] - accepted[0]) if whole else 0.0
    print(
        f"broadcast: {recipients:,} recipients on {url.split(':', maxsplit=1)[0]}, local Bot API "
        f"enforcing {rate} msg/s, worker global_rate={rate}\n"
        f"  enqueued by the broadcast service in {enqueued - started:.2f} s; delivered in "
        f"{finished - enqueued:.1f} s; sustained {achieved:.1f} msg/s = {achieved / rate:.3f} "
        f"of the limit\n"
        f"  sent {report.sent}, blocked {report.blocked}, failed {report.failed}"
        f" (outbox: {dict(outbox)}); 429 answers {refused[429]}, 403 answers {refused[403]}; "
        f"duplicates {duplicates}"
    )


@contextlib.contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        admin_url = os.environ.get("SANAT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
        with fresh_postgres_database(admin_url) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=100, help="messages per second, both sides")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    args = parser.parse_args(argv)
    with database(args.postgres) as url:
        asyncio.run(measure(url, args.rate, args.recipients))


if __name__ == "__main__":
    main()
