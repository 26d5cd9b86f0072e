"""SIGKILL the real ``python -m backend.delivery`` process mid-run, restart it, count messages."""

from __future__ import annotations

from collections import Counter

import pytest

from backend.db import SessionPool
from testing.telegram import LocalBotAPI
from tests.delivery.support import (
    WorkerProcess,
    add_users,
    delivered_texts,
    drained,
    enqueue,
    notifications,
    text,
    worker_env,
)

# Seconds; the killed worker's claims are resent once it has passed. The worker's request
# timeout is a quarter of it, 2 s: with a shorter one a send that a busy machine answers late
# times out although the server took it, and is sent again -- a second duplicate.
LEASE = 8.0


async def sent_at_least(api: LocalBotAPI, count: int, timeout: float) -> None:
    await api.wait_for_call("sendMessage", lambda _: api.sent_count() >= count, timeout=timeout)


@pytest.mark.slow  # two worker processes and an 8 s lease: ~20 s per database; CI runs it
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
        worker = WorkerProcess(worker_env(database_url, api, global_rate="100"), lease=LEASE)
        await worker.start()
        await sent_at_least(api, 100, timeout=20)
        await worker.kill()
        killed_after = api.sent_count()

        await worker.start()
        await drained(session_pool, timeout=30)
        returncode, stderr = await worker.stop()

        per_chat = delivered_texts(api)
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
