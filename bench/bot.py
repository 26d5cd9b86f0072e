"""Dialog updates per second through the real dispatcher, against a bare aiogram echo bot driven
the same way in the same run; and p50/p99 latency per dialog step.

``--storage`` chooses the dialog-state store: ``sqlite`` (``SqlStorage`` on the bench database,
the embedded default), ``redis`` (``SanatRedisStorage``, as with ``SANAT_REDIS_URL``) or ``memory``
(aiogram's ``MemoryStorage``). ``--concurrency N`` keeps N teachers walking full assessments at
once. Users and results go to a fresh SQLite file, or to ``--database-url`` (migrated to head).

Both bots are fed the same way, so the ratio compares what each does per update and nothing else:
every update is Telegram's JSON, built before the clock starts and fed to ``feed_raw_update``
(which parses it as the webhook and polling paths do). The dialog's updates are one warm-up walk
through the harness (``testing.chat.Chat``, which presses buttons by their labels), recorded and
replayed for each teacher under their own Telegram id; every replayed walk must end on the same
result text as the recorded one, or the run fails. (Each dialog's button token, random in
production, is fixed here so that recorded buttons are not stale when replayed.)

Goals (issue 14): Redis state >= 0.25 of the echo bot's rate with p99 < 10 ms per step; the SQLite
store >= 0.1. Run: ``.venv/bin/python -m bench.bot --storage redis --concurrency 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import Message, Update

from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings
from bot.factory import create_dispatcher, create_i18n, freeze_startup_objects
from bot.handlers.assessment import dialog as dialog_module
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
UPDATE_IDS = itertools.count(10**8)


def as_json(update: Update) -> dict[str, Any]:
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


class RecordingDispatcher:
    """Passes updates to the dispatcher and keeps each one as Telegram's JSON."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.recorded: list[dict[str, Any]] = []

    async def feed_update(self, bot: MockedBot, update: Update) -> None:
        self.recorded.append(as_json(update))
        await self.dispatcher.feed_update(bot, update)


def as_user(recorded: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    """The recorded walk as another teacher would send it: their id as every user and chat id
    that was the recorded teacher's (the bot's own id, on the messages it sent, stays), and
    update ids of their own (aiogram caches an update's type by its id)."""
    teacher = recorded[0]["message"]["from"]["id"]

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: user_id if key == "id" and item == teacher else swap(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    return [swap(update) | {"update_id": next(UPDATE_IDS)} for update in recorded]


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


async def replay(
    dispatcher: Dispatcher, walks: list[tuple[MockedBot, list[dict[str, Any]]]], concurrency: int
) -> Run:
    """Feed every walk's updates in order, ``concurrency`` walks at a time; time each update."""
    queue = list(walks)
    samples: list[float] = []

    async def worker() -> None:
        while queue:
            bot, updates = queue.pop(0)
            for update in updates:
                started = time.perf_counter()
                await dispatcher.feed_raw_update(bot, update)
                samples.append(time.perf_counter() - started)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(walks))))))
    return Run(time.perf_counter() - started, time.process_time() - cpu, samples)


def make_storage(kind: str, session_pool: SessionPool, redis_url: str, prefix: str) -> BaseStorage:
    if kind == "sqlite":
        return SqlStorage(session_pool)
    if kind == "redis":
        return SanatRedisStorage.from_url(redis_url, key_builder=redis_key_builder(prefix))
    return MemoryStorage()


@contextmanager
def fixed_dialog_token() -> Iterator[None]:
    with mock.patch.object(dialog_module, "secrets", SimpleNamespace(token_hex=lambda _: "b3c4")):
        yield


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
        # Fresh Telegram ids, so a shared database holds no saved answers for them.
        base = random.randrange(10**9, 2 * 10**9)
        recorder = RecordingDispatcher(dispatcher)
        first = MockedBot()
        with fixed_dialog_token():
            await walk(Chat(recorder, first, user_id=base - 1))  # type: ignore[arg-type]
            result = first.texts()[-1]  # also the warm-up (imports, caches)
            walks = []
            for index in range(users):
                bot = MockedBot()
                walks.append((bot, as_user(recorder.recorded, base + index)))
            run = await replay(dispatcher, walks, concurrency)
        wrong = sum(1 for bot, _ in walks if bot.texts()[-1] != result)
        if isinstance(storage, SanatRedisStorage):
            keys = [key async for key in storage.redis.scan_iter(f"{prefix}:*")]
            if keys:
                await storage.redis.delete(*keys)
        await storage.close()
        await engine.dispose()
    if wrong:
        raise SystemExit(f"bot: {wrong} of {users} replayed walks did not end on the result")
    return run


async def echo_run(users: int, concurrency: int) -> Run:
    """The bare echo bot, fed like the dialog: ``UPDATES_PER_WALK`` messages per user."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    def one(index: int) -> tuple[MockedBot, list[dict[str, Any]]]:
        user = tg_user(1 + index)
        texts = [message_update(f"hello {n}", user) for n in range(UPDATES_PER_WALK)]
        return MockedBot(), [as_json(update) for update in texts]

    await replay(dispatcher, [one(-1)], 1)  # warm up
    return await replay(dispatcher, [one(index) for index in range(users)], concurrency)


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
