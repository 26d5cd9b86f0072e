"""One send limit across delivery workers: two workers, each with its own limiter instance
(Redis, or PostgreSQL), send one outbox to the local Bot API server, which records when each
request arrived. The combined rate stays within the global limit in every one-second window, a
chat's messages keep their interval and a group gets no more than its minute's share -- and
with per-process limiters (the control) the same two workers exceed the global limit.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text as text_sql
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool
from backend.delivery import Backoff, DeliveryWorker
from backend.delivery.limits import LocalLimiter, SendLimiter, Ticket
from backend.delivery.shared_limits import (
    PostgresLimiter,
    RedisLimiter,
    create_send_limiter,
)
from backend.delivery.telegram import build_bot
from backend.settings import (
    BotSettings,
    DatabaseSettings,
    DeliverySettings,
    RedisSettings,
    Settings,
)
from testing.databases import REDIS_ENV, service_url
from testing.telegram import LocalBotAPI
from testing.telegram.limits import busiest_second
from tests.delivery.support import add_users, drained, enqueue, notifications, running, text

ONLY_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
pytestmark = ONLY_POSTGRES  # several workers share an outbox on PostgreSQL only

MakeLimiter = Callable[[float, float, int], SendLimiter]
LIMIT_TABLES = "sanat_send_places, sanat_send_chats"


@pytest.fixture
async def redis_namespace() -> AsyncIterator[tuple[str, str]]:
    """(url, namespace) for this test's limits; its keys are removed afterwards."""
    url = service_url(REDIS_ENV)
    namespace = f"test-{uuid.uuid4().hex}"
    yield url, namespace
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"sanat:limits:{{{namespace}}}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["redis", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_limiter(request: pytest.FixtureRequest, engine: AsyncEngine) -> Iterator[MakeLimiter]:
    """A factory of limiter instances that share their state, as separate workers' would."""
    if request.param == "redis":
        url, namespace = request.getfixturevalue("redis_namespace")

        def redis(rate: float, interval: float, group: int) -> SendLimiter:
            return RedisLimiter(
                Redis.from_url(url),
                namespace=namespace,
                global_rate=rate,
                per_chat_interval=interval,
                per_group_per_minute=group,
            )

        yield redis
    else:
        namespace = f"test-{uuid.uuid4().hex[:8]}"

        def postgres(rate: float, interval: float, group: int) -> SendLimiter:
            return PostgresLimiter(
                str(engine.url.render_as_string(hide_password=False)),
                namespace=namespace,
                global_rate=rate,
                per_chat_interval=interval,
                per_group_per_minute=group,
            )

        yield postgres


def local(rate: float, interval: float, group: int) -> SendLimiter:
    return LocalLimiter(rate, interval, group)


def workers(
    api: LocalBotAPI,
    pool: SessionPool,
    make: MakeLimiter,
    *,
    count: int = 2,
    rate: float = 10,
    interval: float = 0.0,
    group: int = 20,
    batch_size: int | None = None,
) -> list[DeliveryWorker]:
    settings = DeliverySettings(
        global_rate=rate, per_chat_interval=interval, per_group_per_minute=group
    )
    return [
        DeliveryWorker(
            settings=settings,
            session_pool=pool,
            bot=build_bot(BotSettings(token=api.token, api_server=api.base_url)),
            poll_interval=0.05,
            backoff=Backoff(base=0.05, cap=0.2),
            batch_size=batch_size,
            limiter=make(rate, interval, group),
        )
        for _ in range(count)
    ]


async def fill(pool: SessionPool, api: LocalBotAPI, chats: list[int], per_chat: int = 1) -> None:
    users = await add_users(pool, api, chats)
    await enqueue(
        pool,
        (
            (users[chat], chat, f"{chat}:{n}", text(f"{chat}:{n}"))
            for n in range(per_chat)
            for chat in chats
        ),
    )


def arrivals(api: LocalBotAPI, chat_id: int | None = None) -> list[float]:
    return sorted(
        call.at
        for call in api.calls_to("sendMessage")
        if call.ok and (chat_id is None or call.chat_id == chat_id)
    )


async def test_two_workers_together_keep_the_global_rate(
    session_pool: SessionPool, make_limiter: MakeLimiter
) -> None:
    rate, count = 10, 45
    async with LocalBotAPI() as api:
        await fill(session_pool, api, list(range(5_000, 5_000 + count)))
        # Small batches, so that both workers hold rows at the same time.
        async with running(*workers(api, session_pool, make_limiter, rate=rate, batch_size=5)):
            await drained(session_pool, timeout=30)
        times = arrivals(api)
    assert len(times) == count
    assert busiest_second(times)[0] <= rate
    # ... and the limit is used, not just kept (a loose floor: a loaded machine is slower; the
    # rate itself is measured by bench.delivery --shared).
    assert (count - 1) / (times[-1] - times[0]) >= 0.5 * rate


async def test_per_process_limits_would_double_the_rate(session_pool: SessionPool) -> None:
    """The control: the measure above catches two workers that each keep only their own limit."""
    rate, count = 10, 40
    async with LocalBotAPI() as api:
        await fill(session_pool, api, list(range(5_000, 5_000 + count)))
        async with running(*workers(api, session_pool, local, rate=rate, batch_size=5)):
            await drained(session_pool, timeout=30)
        times = arrivals(api)
    assert len(times) == count
    assert busiest_second(times)[0] > rate


async def test_a_chat_keeps_its_interval_across_workers(
    session_pool: SessionPool, make_limiter: MakeLimiter
) -> None:
    interval, chat = 0.4, 6_000
    async with LocalBotAPI() as api:
        await fill(session_pool, api, [chat], per_chat=6)
        # One row per claim: the chat's messages are spread over both workers.
        group = workers(api, session_pool, make_limiter, rate=100, interval=interval, batch_size=1)
        async with running(*group):
            await drained(session_pool, timeout=30)
        times = arrivals(api, chat)
    assert len(times) == 6
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= interval - 0.01, gaps  # the server's and the limiter's clocks differ


async def test_a_group_gets_its_minute_share_across_workers(
    session_pool: SessionPool, make_limiter: MakeLimiter
) -> None:
    group_id, per_minute = -100_700, 3
    async with LocalBotAPI() as api:
        api.add_group(group_id, "Curators")
        await enqueue(session_pool, [(None, group_id, f"g{n}", text(f"g{n}")) for n in range(6)])
        pair = workers(api, session_pool, make_limiter, rate=100, group=per_minute, batch_size=1)
        async with running(*pair):
            await api.wait_for_call(
                "sendMessage",
                lambda call: call.ok and len(arrivals(api, group_id)) >= per_minute,
                timeout=10,
            )
            await asyncio.sleep(1.5)  # time enough for a fourth, were the limit per worker
        sent = arrivals(api, group_id)
        rows = await notifications(session_pool)
    assert len(sent) == per_minute
    waiting = sorted(n.next_attempt_at for n in rows.values() if n.status == "pending")
    assert len(waiting) == 6 - per_minute
    # They wait for the oldest of the minute's sends to leave it.
    assert (waiting[0] - min(n.created_at for n in rows.values())).total_seconds() >= 55


async def test_the_factory_picks_from_the_settings(engine: AsyncEngine, tmp_path: Path) -> None:
    postgres = Settings(_env_file=None, database=DatabaseSettings(url=str(engine.url)))
    redis_url = "redis://127.0.0.1:1/0"  # never connected to: the client connects lazily
    with_redis = postgres.model_copy(update={"redis": RedisSettings(url=redis_url)})
    sqlite = Settings(
        _env_file=None, database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/s.db")
    )
    chosen = [create_send_limiter(settings) for settings in (postgres, with_redis, sqlite)]
    try:
        kinds = [type(limiter) for limiter in chosen]
        assert kinds == [PostgresLimiter, RedisLimiter, LocalLimiter]
        forced = postgres.model_copy(
            update={"delivery": postgres.delivery.model_copy(update={"limiter": "local"})}
        )
        assert isinstance(create_send_limiter(forced), LocalLimiter)
        wrong = sqlite.model_copy(
            update={"delivery": sqlite.delivery.model_copy(update={"limiter": "postgres"})}
        )
        with pytest.raises(ValueError, match="needs a PostgreSQL database"):
            create_send_limiter(wrong)
    finally:
        for limiter in chosen:
            await limiter.close()


async def test_a_role_that_may_not_create_anything_runs_the_postgres_limiter(
    engine: AsyncEngine,
) -> None:
    """Migration 0013 made the tables and functions: a worker whose database role may only read
    and write them admits and records sends (before, the limiter created them on first use)."""
    role = f"sanat_sender_{uuid.uuid4().hex[:8]}"
    async with engine.connect() as connection:
        await connection.execute(text_sql(f"CREATE ROLE {role} LOGIN"))
        await connection.execute(
            text_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {LIMIT_TABLES} TO {role}")
        )
        await connection.commit()
    url = engine.url.set(username=role, password=None)
    limiter = PostgresLimiter(
        url.render_as_string(hide_password=False),
        namespace=f"test-{uuid.uuid4().hex[:8]}",
        global_rate=10,
        per_chat_interval=1,
        per_group_per_minute=20,
    )
    try:
        ticket = await limiter.admit(7001, in_flight_for=5)
        assert isinstance(ticket, Ticket)
        await limiter.answered(ticket, sent=True)
        assert isinstance(await limiter.admit(7001, in_flight_for=5), float)  # its interval
        await limiter.prune()
    finally:
        await limiter.close()
        async with engine.connect() as connection:
            await connection.execute(text_sql(f"REVOKE ALL ON {LIMIT_TABLES} FROM {role}"))
            await connection.execute(text_sql(f"DROP ROLE {role}"))
            await connection.commit()
