"""Dialog updates per second through the real dispatcher, against a bare aiogram echo bot driven
the same way in the same run; and p50/p99 latency per dialog step.

``--storage`` chooses the dialog-state store: ``sqlite`` (``SqlStorage`` on the bench database,
the embedded default), ``redis`` (``SanatRedisStorage``, as with ``SANAT_REDIS_URL``) or ``memory``
(aiogram's ``MemoryStorage``). ``--concurrency N`` keeps N teachers walking full assessments at
once. Users and results go to a fresh SQLite file, or to ``--database-url`` (migrated to head).

Goals (issue 14): Redis state >= 0.25 of the echo bot's rate with p99 < 10 ms per step; the SQLite
store >= 0.1. Run: ``.venv/bin/python -m bench.bot --storage redis --concurrency 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message, Update

from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings
from bot.factory import create_dispatcher, create_i18n, freeze_startup_objects
from bot.storage import SanatRedisStorage, SqlStorage, redis_key_builder
from testing.chat import Chat
from testing.mocked_bot import MockedBot
from testing.updates import message_update, tg_user

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"redis": 0.25, "sqlite": 0.1, "memory": 0.25}
P99_GOAL_MS = 10.0


async def walk(chat: Chat) -> None:
    """One teacher's whole assessment: 18 updates."""
    await chat.send("/start")
    await chat.press("Русский")
    await chat.press("📝")
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    await chat.press("Высшее")
    await chat.press("Да")
    await chat.send("5")
    for _ in range(5):  # "Tick all" ticks every box, Done submits the checklist
        await chat.press("Отметить все")
        await chat.press("✔")


UPDATES_PER_WALK = 18


class TimedDispatcher:
    """Wraps feed_update to time every update."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.samples: list[float] = []

    async def feed_update(self, bot: MockedBot, update: Update) -> None:
        started = time.perf_counter()
        await self.dispatcher.feed_update(bot, update)
        self.samples.append(time.perf_counter() - started)


@dataclass
class Run:
    seconds: float  # wall time
    cpu_seconds: float  # this process's CPU time (all threads: aiosqlite's too)
    samples: list[float]  # each update's time in feed_update

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / len(self.samples) * 1000


async def concurrently(
    users: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> tuple[float, float]:
    """Run ``one(index)`` for every user, ``concurrency`` at a time; the wall and CPU time."""
    queue = list(range(users))

    async def worker() -> None:
        while queue:
            await one(queue.pop(0))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, users)))))
    return time.perf_counter() - started, time.process_time() - cpu


def make_storage(kind: str, session_pool: SessionPool, redis_url: str, prefix: str) -> BaseStorage:
    if kind == "sqlite":
        return SqlStorage(session_pool)
    if kind == "redis":
        return SanatRedisStorage.from_url(redis_url, key_builder=redis_key_builder(prefix))
    return MemoryStorage()


async def dialog_run(
    *, users: int, concurrency: int, storage_kind: str, database_url: str | None, redis_url: str
) -> Run:
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade_async(url)
        engine = create_engine(DatabaseSettings(url=url))
        pool = create_session_pool(engine)
        settings = Settings(
            _env_file=None, database=DatabaseSettings(url=url), locales_dir=ROOT / "locales"
        )
        prefix = f"sanat:bench:{secrets.token_hex(4)}"
        storage = make_storage(storage_kind, pool, redis_url, prefix)
        dispatcher = create_dispatcher(
            settings=settings,
            session_pool=pool,
            ruleset=default_ruleset(),
            i18n=create_i18n(settings),
            storage=storage,
        )
        freeze_startup_objects()  # as ``bot.runner`` does once the bot is set up
        timed = TimedDispatcher(dispatcher)
        # Fresh Telegram ids, so a shared database holds no saved answers for them.
        base = random.randrange(10**9, 2 * 10**9)

        def chat(user_id: int) -> Chat:
            return Chat(timed, MockedBot(), user_id=user_id)  # type: ignore[arg-type]

        await walk(chat(base - 1))  # warm up (imports, caches)
        timed.samples.clear()
        elapsed, cpu = await concurrently(
            users, concurrency, lambda index: walk(chat(base + index))
        )
        if isinstance(storage, SanatRedisStorage):
            keys = [key async for key in storage.redis.scan_iter(f"{prefix}:*")]
            if keys:
                await storage.redis.delete(*keys)
        await storage.close()
        await engine.dispose()
    return Run(elapsed, cpu, timed.samples)


async def echo_run(users: int, concurrency: int) -> Run:
    """The bare echo bot, driven like the dialog: ``UPDATES_PER_WALK`` messages per user."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    timed = TimedDispatcher(dispatcher)

    async def one(index: int) -> None:
        bot, user = MockedBot(), tg_user(1 + index)
        for n in range(UPDATES_PER_WALK):
            await timed.feed_update(bot, message_update(f"hello {n}", user))

    await one(-1)  # warm up
    timed.samples.clear()
    elapsed, cpu = await concurrently(users, concurrency, one)
    return Run(elapsed, cpu, timed.samples)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def line(name: str, run: Run) -> str:
    return (
        f"  {name:<6} {run.rate:>7,.0f} updates/s   per step p50 "
        f"{percentile(run.samples, 0.5) * 1000:5.2f} ms, "
        f"p99 {percentile(run.samples, 0.99) * 1000:5.2f} ms   CPU {run.cpu_ms:.2f} ms/update"
    )


async def main_async(args: argparse.Namespace) -> None:
    dialog = await dialog_run(
        users=args.users,
        concurrency=args.concurrency,
        storage_kind=args.storage,
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    echo = await echo_run(args.users, args.concurrency)
    ratio = dialog.rate / echo.rate
    p99 = percentile(dialog.samples, 0.99) * 1000
    goal = GOALS[args.storage]
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"bot: {args.users} full assessments, {len(dialog.samples)} dialog updates, "
        f"{args.concurrency} at a time; dialog state: {args.storage}, database: {database}\n"
        f"{line('sanat', dialog)}\n"
        f"{line('echo', echo)}\n"
        f"  ratio {ratio:.2f} (goal >= {goal}: {'met' if ratio >= goal else 'NOT met'}); "
        f"CPU ratio {echo.cpu_ms / dialog.cpu_ms:.2f}; p99 {p99:.2f} ms "
        f"(goal < {P99_GOAL_MS:.0f} ms: {'met' if p99 < P99_GOAL_MS else 'NOT met'})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=60, help="full assessments (18 updates)")
    parser.add_argument("--concurrency", type=int, default=1, help="teachers walking at once")
    parser.add_argument("--storage", choices=("sqlite", "redis", "memory"), default="sqlite")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
