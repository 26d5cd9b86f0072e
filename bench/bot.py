"""Dialog updates per second through the real dispatcher with the SQLite store, against a bare
aiogram echo bot in the same run; and p99 latency per dialog step.

Goal (issue 4): ratio >= 0.5 and p99 < 20 ms. Run: ``.venv/bin/python -m bench.bot [--users 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from aiogram import Dispatcher
from aiogram.types import Message, Update

from backend.db import create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.rules.loader import default_ruleset
from backend.settings import DatabaseSettings, Settings
from bot.factory import create_dispatcher, create_i18n
from bot.storage import SqlStorage
from testing.chat import Chat
from testing.mocked_bot import MockedBot
from testing.updates import message_update, tg_user

ROOT = Path(__file__).resolve().parent.parent


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


class TimedDispatcher:
    """Wraps feed_update to time every update."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.samples: list[float] = []

    async def feed_update(self, bot: MockedBot, update: Update) -> None:
        started = time.perf_counter()
        await self.dispatcher.feed_update(bot, update)
        self.samples.append(time.perf_counter() - started)


async def dialog_run(users: int, folder: Path) -> tuple[int, float, list[float]]:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade_async(url)
    engine = create_engine(DatabaseSettings(url=url))
    pool = create_session_pool(engine)
    settings = Settings(
        _env_file=None, database=DatabaseSettings(url=url), locales_dir=ROOT / "locales"
    )
    dispatcher = create_dispatcher(
        settings=settings,
        session_pool=pool,
        ruleset=default_ruleset(),
        i18n=create_i18n(settings),
        storage=SqlStorage(pool),
    )
    timed = TimedDispatcher(dispatcher)
    started = time.perf_counter()
    for index in range(users):
        await walk(Chat(timed, MockedBot(), user_id=100_000 + index))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return len(timed.samples), elapsed, timed.samples


async def echo_run(updates: int) -> float:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    bot = MockedBot()
    user = tg_user(1)
    prepared = [message_update(f"hello {n}", user) for n in range(updates)]
    started = time.perf_counter()
    for update in prepared:
        await dispatcher.feed_update(bot, update)
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def main_async(users: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        count, dialog_seconds, samples = await dialog_run(users, Path(folder))
    echo_seconds = await echo_run(count)
    dialog_rate, echo_rate = count / dialog_seconds, count / echo_seconds
    print(
        f"bot: {users} full assessments, {count} dialog updates (SQLite state store)\n"
        f"  dialog {dialog_rate:,.0f} updates/s, bare echo bot {echo_rate:,.0f} updates/s, "
        f"ratio {dialog_rate / echo_rate:.2f} (goal >= 0.5)\n"
        f"  per step: p50 {percentile(samples, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(samples, 0.99) * 1000:.1f} ms (goal < 20 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main_async(args.users))


if __name__ == "__main__":
    main()
