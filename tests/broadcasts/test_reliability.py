"""A broadcast to 10 000 people through the real worker process, SIGKILLed halfway.

The broadcast service enqueues the outbox rows; ``python -m backend.delivery`` sends them to the
local Bot API server, which answers some sends with 429 and 2% of recipients with 403 (they
blocked the bot). The worker is killed at about half, restarted, and run to the end. Then every
reachable recipient has exactly one copy in their language with their name (at most one
duplicate for the one crash), every blocked one is unreachable and unsubscribed from every topic,
and every outbox row is final.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from sqlmodel import col, func, select

from backend.broadcasts import service as broadcasts
from backend.db import SessionPool
from backend.directory import TOPICS
from backend.models import Notification, TopicSubscription, User
from testing.broadcast_setup import BroadcastSetup, statuses
from testing.telegram import LocalBotAPI
from tests.broadcasts.helpers import admin
from tests.delivery.support import WorkerProcess, delivered_texts, drained, worker_env

# Every outcome is its own commit (that is what bounds duplicates to one per crash); on
# PostgreSQL the test database does not wait for the WAL flush (testing/databases.py), so 10 000
# take about as long there as on SQLite.
RECIPIENTS = 10_000
# Seconds; the killed worker's claims are handed out again after it. The worker's request
# timeout is a quarter of it: 2 s.
LEASE = 8.0
SETUP = BroadcastSetup(
    first_telegram_id=7_000_000,
    languages=("kk", "ru", "en"),  # English speakers get the Russian variant
    region="almaty",
    texts={
        "kk": "Сәлеметсіз бе, {name}! ЖАСТАЛАП жаңалықтары",
        "ru": "Здравствуйте, {name}! Новости",
    },
)


async def duplicated_rows(pool: SessionPool, copies: Counter[tuple[int, str]]) -> str:
    """What the outbox says about the chats that got a message twice (for a failure)."""
    twice = [chat for (chat, _), times in copies.items() if times > 1]
    async with pool() as session:
        rows = await session.exec(select(Notification).where(col(Notification.chat_id).in_(twice)))
        return repr([(n.chat_id, n.status, n.attempts, n.last_error) for n in rows.all()])


async def until_sent(api: LocalBotAPI, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # A counter on the server, read often: cheaper than a predicate over 10 000 calls.
    while api.sent_count() < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{api.sent_count()} of {count} sent in {timeout} s")
        await asyncio.sleep(0.02)


@pytest.mark.slow  # about a minute per database; `make test-slow`, CI
async def test_ten_thousand_recipients_survive_429_403_and_a_sigkill(
    database_url: str, session_pool: SessionPool
) -> None:
    count = RECIPIENTS
    started = time.monotonic()
    async with LocalBotAPI() as api:
        await SETUP.add_recipients(session_pool, api, count)
        blocked = SETUP.blocked(count)
        # Floods at the start, in the middle and near the end, and one more on the first
        # message after the restart.
        for n in (10, count * 2 // 5, count * 9 // 10):
            api.inject(429, chat_id=SETUP.telegram_id(n + 1), retry_after=1)
        api.inject(429, method="sendMessage", retry_after=1)

        broadcast_id, recipient_count = await SETUP.launch(session_pool, await admin(session_pool))
        assert recipient_count == count
        enqueued = time.monotonic()

        worker = WorkerProcess(worker_env(database_url, api, global_rate="1000"), lease=LEASE)
        await worker.start()
        # Generous bounds: they only stop a hung run. The rate is bench.delivery's business;
        # a loaded machine (or the shared PostgreSQL limiter's round trip) may be slower.
        await until_sent(api, count // 2, timeout=180)
        await worker.kill()
        killed_after = api.sent_count()
        api.inject(429, method="sendMessage", retry_after=1)

        await worker.start()
        await drained(session_pool, timeout=240)
        returncode, stderr = await worker.stop()

        copies = delivered_texts(api)
        refused = Counter(call.error_code for call in api.calls_to("sendMessage") if not call.ok)
    finished = time.monotonic()

    assert returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert count // 2 <= killed_after < count - len(blocked), "not killed mid-run"
    assert refused[429] >= 4
    assert refused[403] == len(blocked)

    reachable = {SETUP.telegram_id(n): n for n in range(count)}
    for chat in blocked:
        del reachable[chat]
    got = Counter(chat for chat, _ in copies.elements())
    missing = [chat for chat in reachable if got[chat] == 0]
    assert missing == []
    assert not blocked & set(got)
    assert dict(copies.keys()) == {chat: SETUP.expected_text(n) for chat, n in reachable.items()}
    duplicates = sum(times - 1 for times in copies.values())
    # One crash, one message in flight. (A request that times out although the server took it
    # is another duplicate: LEASE is long enough that a busy test machine does not get there.)
    assert duplicates <= 1, await duplicated_rows(session_pool, copies)

    outbox = await statuses(session_pool, broadcast_id)
    async with session_pool() as session:
        unreachable = set(
            (
                await session.exec(
                    select(User.telegram_id).where(col(User.unreachable_at).is_not(None))
                )
            ).all()
        )
        unsubscribed = (
            await session.exec(
                select(User.telegram_id, func.count())
                .join(TopicSubscription, col(TopicSubscription.user_id) == col(User.id))
                .where(col(TopicSubscription.subscribed).is_(False))
                .group_by(col(User.telegram_id))
            )
        ).all()
        report = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    assert outbox == {"sent": len(reachable), "failed": len(blocked)}
    assert unreachable == blocked
    assert dict(unsubscribed) == dict.fromkeys(blocked, len(TOPICS))
    assert (report.sent, report.blocked, report.remaining) == (len(reachable), len(blocked), 0)
    print(
        f"\nreliability ({database_url.split(':', maxsplit=1)[0]}): {count} recipients, "
        f"killed after {killed_after} sends, "
        f"{duplicates} duplicate(s), 429s {refused[429]}, blocked {refused[403]}; "
        f"enqueue {enqueued - started:.1f} s, delivery {finished - enqueued:.1f} s"
    )
