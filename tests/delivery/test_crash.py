"""SIGKILL the real ``python -m backend.delivery`` process mid-run, restart it, count messages."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from backend.db import SessionPool
from tests.delivery.support import add_users, drained, enqueue, notifications, text
from tests.telegram import LocalBotAPI

LEASE = 3.0  # seconds; the killed worker's claims are resent once it has passed


class WorkerProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "backend.delivery",
            "--lease",
            str(LEASE),
            "--poll-interval",
            "0.1",
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


async def sent_at_least(api: LocalBotAPI, count: int, timeout: float) -> None:
    await api.wait_for_call("sendMessage", lambda _: api.sent_count() >= count, timeout=timeout)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sigkill_mid_run_loses_nothing_and_duplicates_at_most_one(
    database_url: str, session_pool: SessionPool
) -> None:
    async with LocalBotAPI() as api:
        chats = list(range(9001, 9101))
        blocked = set(chats[::20])  # 5 users who blocked the bot
        ids = await add_users(session_pool, api, chats)
        for chat in blocked:
            api.block(chat)
        # Round after round, as a broadcast enqueues: 300 notifications for 100 users.
        await enqueue(
            session_pool,
            [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2, 3) for c in chats],
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAT_")} | {
            "SANAT_DATABASE_URL": database_url,
            "SANAT_BOT_TOKEN": api.token,
            "SANAT_BOT_API_SERVER": api.base_url,
            "SANAT_DELIVERY_GLOBAL_RATE": "100",
            "SANAT_LOG_LEVEL": "WARNING",
        }
        worker = WorkerProcess(env)
        await worker.start()
        await sent_at_least(api, 100, timeout=20)
        await worker.kill()
        killed_after = api.sent_count()

        await worker.start()
        await drained(session_pool, timeout=30)
        returncode, stderr = await worker.stop()

        per_chat = Counter(
            (call.params["chat_id"], call.params["text"])
            for call in api.calls_to("sendMessage")
            if call.ok
        )
    assert returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert killed_after < 300 - 3 * len(blocked), "the worker was not killed mid-run"
    for chat in chats:
        got = {t for (c, t) in per_chat if c == chat}
        assert got == (set() if chat in blocked else {f"{chat}-{n} ru" for n in (1, 2, 3)})
    duplicates = sum(count - 1 for count in per_chat.values())
    print(f"\ncrash test: killed after {killed_after} sends, {duplicates} duplicate(s)")
    assert duplicates <= 1
    rows = await notifications(session_pool)
    assert Counter(n.status for n in rows.values()) == {
        "sent": 3 * (len(chats) - len(blocked)),
        "failed": len(blocked),
        "cancelled": 2 * len(blocked),
    }
