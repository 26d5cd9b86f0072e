"""Helpers for the delivery tests: users on both sides, the outbox, workers on the local server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiogram import Bot
from sqlmodel import col, func, select

from backend.db import SessionPool
from backend.delivery import Backoff, DeliveryWorker
from backend.delivery.telegram import build_bot
from backend.models import Notification, User
from backend.settings import BotSettings, DeliverySettings
from testing.telegram import LocalBotAPI

OUTSTANDING = ("pending", "sending")


async def add_users(
    pool: SessionPool, api: LocalBotAPI, telegram_ids: Iterable[int], language: str | None = "ru"
) -> dict[int, int]:
    """Users known to the backend and to the server; telegram id → user id."""
    users = [User(telegram_id=tid, language=language) for tid in telegram_ids]
    async with pool() as session:
        session.add_all(users)
        await session.commit()
    for user in users:
        api.user(user.telegram_id, f"Teacher {user.telegram_id}")
    return {user.telegram_id: user.id for user in users if user.id is not None}


def text(key: str) -> dict[str, Any]:
    """A payload whose text names its notification in both languages."""
    return {"text": {"kk": f"{key} kk", "ru": f"{key} ru"}}


async def enqueue(
    pool: SessionPool, items: Iterable[tuple[int | None, int, str, dict[str, Any]]]
) -> None:
    """(user id, chat id, dedupe key, payload) rows, pending and due now."""
    async with pool() as session:
        session.add_all(
            Notification(user_id=user_id, chat_id=chat_id, kind="test", dedupe_key=key, payload=p)
            for user_id, chat_id, key, p in items
        )
        await session.commit()


async def notifications(pool: SessionPool) -> dict[str, Notification]:
    async with pool() as session:
        rows = await session.exec(select(Notification))
        return {n.dedupe_key: n for n in rows.all()}


async def outstanding(pool: SessionPool) -> int:
    async with pool() as session:
        query = select(func.count()).where(col(Notification.status).in_(OUTSTANDING))
        return (await session.exec(query)).one()


def local_bot(api: LocalBotAPI) -> Bot:
    """A delivery Bot pointed at ``api``."""
    return build_bot(BotSettings(token=api.token, api_server=api.base_url))


def make_worker(
    api: LocalBotAPI,
    pool: SessionPool,
    *,
    global_rate: float = 200,
    bot: Bot | None = None,
    **options: Any,
) -> DeliveryWorker:
    settings_fields = {"per_chat_interval", "per_group_per_minute", "max_attempts"}
    settings = DeliverySettings(
        global_rate=global_rate, **{k: v for k, v in options.items() if k in settings_fields}
    )
    worker_options = {k: v for k, v in options.items() if k not in settings_fields}
    worker_options.setdefault("poll_interval", 0.05)
    worker_options.setdefault("backoff", Backoff(base=0.05, cap=0.2))
    return DeliveryWorker(
        settings=settings, session_pool=pool, bot=bot or local_bot(api), **worker_options
    )


@contextlib.asynccontextmanager
async def running(*workers: DeliveryWorker) -> AsyncIterator[None]:
    """The workers' ``run`` loops, stopped and closed on the way out."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for worker in workers:
            await worker.close()


async def drained(pool: SessionPool, timeout: float = 15.0) -> None:
    """Until nothing is pending or sending."""
    async with asyncio.timeout(timeout):
        while True:  # the database has no change notification to wait on: poll it
            if not await outstanding(pool):
                return
            await asyncio.sleep(0.05)


def delivered_texts(api: LocalBotAPI) -> Counter[tuple[int, str]]:
    """(chat, text) of every message the server accepted, with how many times."""
    return Counter(
        (call.params["chat_id"], call.params["text"])
        for call in api.calls_to("sendMessage")
        if call.ok
    )


UNSUBSCRIBE_TEXT = {"kk": "🔕 Жазылымнан шығу", "ru": "🔕 Отписаться", "en": "🔕 Unsubscribe"}


def broadcast_payload(
    variants: dict[str, dict[str, Any]], *, name: str | None = None, topic: str | None = "news"
) -> dict[str, Any]:
    """An outbox payload shaped as a curator's broadcast (the agreed contract): a variant per
    language, the recipient's name, and a one-tap unsubscribe from ``topic`` (none for a
    channel post).
    """
    payload: dict[str, Any] = {
        "message": variants,
        "params": {} if name is None else {"name": name},
    }
    if topic is not None:
        payload["buttons"] = [[{"text": UNSUBSCRIBE_TEXT, "callback_data": f"unsub:{topic}"}]]
    return payload


class WorkerProcess:
    """``python -m backend.delivery`` as a separate process, to be SIGKILLed and restarted."""

    def __init__(self, env: dict[str, str], *, lease: float, poll_interval: float = 0.1) -> None:
        self._env = env
        self._args = ["--lease", str(lease), "--poll-interval", str(poll_interval)]
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend.delivery",
            *self._args,
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no chance to store anything on the way out
        await self.process.communicate()

    async def stop(self) -> tuple[int | None, str]:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=10)
        return self.process.returncode, stderr.decode()


def worker_env(database_url: str, api: LocalBotAPI, **delivery: str) -> dict[str, str]:
    """The environment of a worker process: this database, this server, ``delivery`` settings
    (e.g. ``global_rate="1000"`` → ``SANAT_DELIVERY_GLOBAL_RATE``), warnings only.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")}
    env |= {
        "SANAT_DATABASE_URL": database_url,
        "SANAT_BOT_TOKEN": api.token,
        "SANAT_BOT_API_SERVER": api.base_url,
        "SANAT_LOG_LEVEL": "WARNING",
    }
    return env | {f"SANAT_DELIVERY_{k.upper()}": v for k, v in delivery.items()}
