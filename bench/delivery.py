"""Delivery rate against the local Bot API server enforcing a global limit, as a fraction of the
limit, and the worker's peak memory while 100 000 notifications are queued in SQLite.

The server answers 429 past ``--rate`` sends per second (its sliding window, like Telegram's);
the worker runs with ``SANAT_DELIVERY_GLOBAL_RATE`` at the same figure. Notifications go round
robin to 1 000 chats, so each chat gets one message every 40 s and the per-chat limits never
bind: only the global one does.

Goal: fraction >= 0.95, with no 429. Run: ``.venv/bin/python -m bench.delivery [--rate 25]``.

``--shared redis|postgres`` measures instead one limit shared by workers: on a fresh PostgreSQL
database (``SANAT_TEST_POSTGRES_URL``), 1 and then 2 workers, each with its own limiter instance
on Redis (``SANAT_TEST_REDIS_URL``) or PostgreSQL, send to 1 000 chats; it prints sends/s for
each, the most sends in any one second (which must not pass ``--rate``) and the 429s.
``--rate 1000`` makes the limiter's own cost show (nothing else binds).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from backend.db import SessionPool, create_engine, create_session_pool
from backend.delivery import DeliveryWorker
from backend.delivery.limits import SendLimiter
from backend.delivery.shared_limits import PostgresLimiter, RedisLimiter
from backend.delivery.telegram import build_bot
from backend.migrate import upgrade_async
from backend.models import Notification, User
from backend.settings import BotSettings, DatabaseSettings, DeliverySettings
from testing.databases import fresh_postgres_database
from testing.telegram import LocalBotAPI
from testing.telegram.limits import busiest_second

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

CHATS = 1_000
FIRST_CHAT = 100_000
CHUNK = 10_000


def proc_status(field: str) -> int:
    """A /proc/self/status figure in KiB (VmRSS now, VmHWM the peak), 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss() -> bool:
    """Start VmHWM afresh (Linux: write 5 to clear_refs), so it measures the worker only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def fill_outbox(pool: SessionPool, api: LocalBotAPI, queued: int) -> None:
    users = [User(telegram_id=FIRST_CHAT + n, language=("kk", "ru")[n % 2]) for n in range(CHATS)]
    async with pool() as session:
        session.add_all(users)
        await session.commit()
    for user in users:
        api.user(user.telegram_id)
    user_ids = [user.id for user in users]
    now = dt.datetime.now(dt.UTC)
    async with pool() as session:
        for start in range(0, queued, CHUNK):
            rows: list[dict[str, Any]] = [
                {
                    "user_id": user_ids[n % CHATS],
                    "chat_id": FIRST_CHAT + n % CHATS,
                    "kind": "bench",
                    "dedupe_key": f"bench:{n}",
                    "payload": {"text": {"kk": f"Хабарлама {n}", "ru": f"Сообщение {n}"}},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for n in range(start, min(queued, start + CHUNK))
            ]
            await session.exec(insert(Notification), params=rows)
        await session.commit()


async def measure(rate: int, seconds: float, queued: int, folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade_async(url)
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    async with LocalBotAPI(enforce_limits=True, global_per_second=rate) as api:
        await fill_outbox(pool, api, queued)
        bot = build_bot(BotSettings(token=api.token, api_server=api.base_url))
        worker = DeliveryWorker(
            settings=DeliverySettings(global_rate=rate), session_pool=pool, bot=bot
        )
        rss_before = proc_status("VmRSS")
        hwm_reset = reset_peak_rss()
        tracemalloc.start()
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await running
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_peak = proc_status("VmHWM")
        await worker.close()
        calls = api.calls_to("sendMessage")
    await engine.dispose()

    accepted = sorted(call.at for call in calls if call.ok)
    refused = sum(call.error_code == 429 for call in calls)
    # The worker may send a second's worth at once and then wait: measure from the first send
    # to the first send of the last whole second's worth, which a burst cannot flatter.
    whole = (len(accepted) - 1) // rate * rate
    achieved = whole / (accepted[whole] - accepted[0])
    print(
        f"delivery: local Bot API enforcing {rate} msg/s, worker global_rate={rate}, "
        f"{queued:,} notifications queued in SQLite over {CHATS:,} chats\n"
        f"  {len(accepted)} messages sent in {seconds:.0f} s; sustained {achieved:.2f} msg/s = "
        f"{achieved / rate:.3f} of the limit (goal >= 0.95); 429 answers: {refused}\n"
        f"  worker memory: tracemalloc peak {traced_peak / 2**20:.1f} MiB; "
        f"RSS {rss_before / 1024:.0f} MiB before the run, peak "
        f"{rss_peak / 1024:.0f} MiB during it"
        + ("" if hwm_reset else " (peak since process start)")
        + " (RSS includes the in-process Bot API server)"
    )


async def until_sent(api: LocalBotAPI, count: int, seconds: float) -> None:
    await api.wait_for_call("sendMessage", lambda _: api.sent_count() >= count, timeout=seconds)


def shared_limiter(kind: str, url: str, namespace: str, rate: int) -> SendLimiter:
    if kind == "redis":
        from redis.asyncio import Redis

        client = Redis.from_url(os.environ.get("SANAT_TEST_REDIS_URL", DEFAULT_REDIS))
        return RedisLimiter(
            client,
            namespace=namespace,
            global_rate=rate,
            per_chat_interval=1.0,
            per_group_per_minute=20,
        )
    return PostgresLimiter(
        url, namespace=namespace, global_rate=rate, per_chat_interval=1.0, per_group_per_minute=20
    )


async def measure_shared(kind: str, rate: int, url: str, queued: int) -> None:
    await upgrade_async(url)
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    print(
        f"delivery, one limit shared through {kind}: global_rate={rate}, {queued:,} "
        f"notifications per run over {CHATS:,} chats, PostgreSQL outbox, local Bot API server"
    )
    async with LocalBotAPI(enforce_limits=True, global_per_second=rate) as api:
        await fill_outbox(pool, api, queued * 3)  # enough for both runs
        namespace = f"bench-{uuid.uuid4().hex[:8]}"
        for count in (1, 2):
            before = len(api.calls_to("sendMessage"))
            workers = [
                DeliveryWorker(
                    settings=DeliverySettings(global_rate=rate),
                    session_pool=pool,
                    bot=build_bot(BotSettings(token=api.token, api_server=api.base_url)),
                    limiter=shared_limiter(kind, url, namespace, rate),
                    poll_interval=0.05,
                )
                for _ in range(count)
            ]
            stop = asyncio.Event()
            started = time.monotonic()
            tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
            await until_sent(api, api.sent_count() + queued, queued / rate * 10)
            stop.set()
            await asyncio.gather(*tasks)
            for worker in workers:
                await worker.close()
            calls = api.calls_to("sendMessage")[before:]
            accepted = sorted(call.at for call in calls if call.ok)[:queued]
            refused = sum(call.error_code == 429 for call in calls)
            rate_seen = (len(accepted) - 1) / (accepted[-1] - accepted[0])
            print(
                f"  {count} worker(s): {rate_seen:.1f} sends/s = {rate_seen / rate:.2f} of the "
                f"limit; most in any one second {busiest_second(accepted)[0]} (limit {rate}); "
                f"429 answers {refused}; wall {time.monotonic() - started:.1f} s"
            )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=25, help="messages per second, both sides")
    parser.add_argument("--seconds", type=float, default=18.0, help="how long the worker runs")
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument(
        "--shared",
        choices=("redis", "postgres"),
        help="1 vs 2 workers under one limit kept there (sends --queued per run, default 500)",
    )
    args = parser.parse_args()
    if args.shared:
        admin_url = os.environ.get("SANAT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
        queued = args.queued if args.queued != parser.get_default("queued") else 500
        with fresh_postgres_database(admin_url) as url:
            asyncio.run(measure_shared(args.shared, args.rate, url, queued))
        return
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(args.rate, args.seconds, args.queued, Path(folder)))


if __name__ == "__main__":
    main()
