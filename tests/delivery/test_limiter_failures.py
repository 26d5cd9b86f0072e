"""The worker when the shared send limiter cannot be reached for a while: each chat waits and
asks again, the batch goes on (before, the first failed admission cancelled the whole batch, and
its rows waited out their lease), nothing is lost or sent twice, and the outage is logged once,
not once per chat and retry."""

from __future__ import annotations

import logging
import time

import pytest

from backend.db import SessionPool
from backend.delivery.limits import LocalLimiter, Ticket
from testing.telegram import LocalBotAPI
from tests.delivery.support import (
    add_users,
    delivered_texts,
    drained,
    enqueue,
    make_worker,
    notifications,
    running,
    text,
)

UNREACHABLE = "the send limiter cannot be reached; sends wait"
BACK = "the send limiter answers again"


class FlakyLimiter(LocalLimiter):
    """A limiter whose admissions fail (as with Redis or PostgreSQL out of reach) until
    ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(200, 0.0, 20)
        self.until = time.monotonic() + seconds
        self.refused = 0

    async def admit(self, chat_id: int, in_flight_for: float) -> Ticket | float:
        if time.monotonic() < self.until:
            self.refused += 1
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return await super().admit(chat_id, in_flight_for)


async def test_a_limiter_outage_delays_the_sends_and_loses_nothing(
    session_pool: SessionPool, api: LocalBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    chats = [9601, 9602, 9603, 9604]
    ids = await add_users(session_pool, api, chats)
    await enqueue(
        session_pool, [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2) for c in chats]
    )
    limiter = FlakyLimiter(seconds=0.6)
    worker = make_worker(api, session_pool, limiter=limiter, limiter_retry=0.1)
    caplog.set_level(logging.INFO, logger="backend.delivery.worker")
    async with running(worker):
        await drained(session_pool)

    delivered = delivered_texts(api)
    assert set(delivered.values()) == {1}, "a message was sent twice"
    assert sorted(delivered) == sorted((c, f"{c}-{n} ru") for n in (1, 2) for c in chats)
    assert {n.status for n in (await notifications(session_pool)).values()} == {"sent"}
    assert limiter.refused >= 2 * len(chats)  # each chat asked again, every limiter_retry
    messages = [r.getMessage() for r in caplog.records if r.name == "backend.delivery.worker"]
    assert messages.count(UNREACHABLE) == 1
    assert messages.count(BACK) == 1
    assert "delivery batch failed" not in messages
