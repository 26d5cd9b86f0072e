"""The worker when storing outcomes fails: a real database and outbox whose outcome writes fail
at the database's edge for a while, the local Bot API server counting what arrives."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from sqlalchemy import event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlmodel import Session, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.delivery import Backoff
from backend.metrics import Metrics
from backend.models import Notification, User
from testing.telegram import LocalBotAPI
from tests.delivery.support import (
    add_users,
    delivered_texts,
    drained,
    enqueue,
    local_bot,
    make_worker,
    notifications,
    running,
    text,
)

LEASE = dt.timedelta(seconds=3)  # the shortest lease the worker takes
QUICK_RETRIES = Backoff(base=0.02, cap=0.1)
RETRYING = "storing an outcome failed; retrying"
GAVE_UP = "storing an outcome failed until its lease ran out"
UNSENT_FAILED = "updating unsent notifications failed; they stay claimed until the lease ends"


class Timeline:
    """What happened, in order, by the monotonic clock: ``send`` (a chat) when a request
    leaves the bot, ``stored`` (a notification) when an outcome write goes through to the
    database, and the worker's reports ``failed`` and ``abandoned`` (a notification) as it
    logs them -- that is, once it knows.
    """

    def __init__(self) -> None:
        self.events: list[tuple[float, str, int]] = []

    def add(self, kind: str, subject: int) -> None:
        self.events.append((time.monotonic(), kind, subject))

    def times(self, kind: str, subject: int) -> list[float]:
        return [at for at, k, s in self.events if k == kind and s == subject]

    def count(self, kind: str) -> int:
        return sum(k == kind for _, k, _ in self.events)

    def assert_no_send_while_a_store_fails(self) -> None:
        failing: set[int] = set()
        for _, kind, subject in self.events:
            if kind == "failed":
                failing.add(subject)
            elif kind in ("stored", "abandoned"):
                failing.discard(subject)
            elif kind == "send":
                assert not failing, f"a send to {subject} started while {failing} failed"


def outcome_write_target(statement: object) -> int | None:
    """The notification an outbox outcome write changes -- an UPDATE of one claimed row,
    ``WHERE id = … AND status = 'sending'`` -- or None (claims, releases, anything else)."""
    where = getattr(statement, "whereclause", None)
    if where is None:
        return None
    for clause in visitors.iterate(where):
        if (
            isinstance(clause, BinaryExpression)
            and clause.operator is operators.eq
            and clause.left.compare(inspect(Notification).columns["id"])
            and isinstance(clause.right, BindParameter)
            and isinstance(clause.right.value, int)
        ):
            return clause.right.value
    return None


class OutcomeWriteFaults:
    """A session pool on ``engine`` whose outcome writes fail while ``failing(notification id,
    number of the write)`` says so (writes numbered from 0, retries included). They fail where
    the session would go to the database, as when it cannot get a connection ("too many
    clients", a pool timeout); everything else passes.
    """

    def __init__(
        self, engine: AsyncEngine, failing: Callable[[int, int], bool], timeline: Timeline
    ) -> None:
        self._engine = engine
        self._failing = failing
        self._timeline = timeline
        self.writes = 0
        self.failures = 0

    def session_pool(self) -> SessionPool:
        class FaultySession(Session):
            """A class of its own, so that the listener stays with this pool."""

        event.listen(FaultySession, "do_orm_execute", self._on_execute)
        return async_sessionmaker(
            self._engine,
            class_=AsyncSession,
            sync_session_class=FaultySession,
            expire_on_commit=False,
        )

    def _on_execute(self, state: ORMExecuteState) -> None:
        target = outcome_write_target(state.statement)
        if target is None:
            return
        number = self.writes
        self.writes += 1
        if self._failing(target, number):
            self.failures += 1
            raise OperationalError(
                str(state.statement), None, ConnectionError("too many clients (a test's fault)")
            )
        self._timeline.add("stored", target)


class SendStarts(BaseRequestMiddleware):
    """Notes each sendMessage as its request leaves the bot."""

    def __init__(self, timeline: Timeline) -> None:
        self._timeline = timeline

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, SendMessage):
            self._timeline.add("send", int(method.chat_id))
        return await make_request(bot, method)


class WorkerLog(logging.Handler):
    """The delivery worker's warnings and errors; its store reports go on the timeline."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.WARNING)
        self._timeline = timeline
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        kind = {RETRYING: "failed", GAVE_UP: "abandoned"}.get(record.getMessage())
        if kind is not None:
            self._timeline.add(kind, record.__dict__["notification"])

    def saying(self, message: str) -> list[logging.LogRecord]:
        return [record for record in self.records if record.getMessage() == message]


@dataclass(frozen=True)
class Watch:
    """The timeline and the worker's log, and a bot for the worker that notes its sends."""

    api: LocalBotAPI
    timeline: Timeline
    log: WorkerLog

    def bot(self) -> Bot:
        bot = local_bot(self.api)
        bot.session.middleware(SendStarts(self.timeline))
        return bot


@pytest.fixture
def watch(api: LocalBotAPI) -> Iterator[Watch]:
    timeline = Timeline()
    handler = WorkerLog(timeline)
    logger = logging.getLogger("backend.delivery.worker")
    logger.addHandler(handler)
    try:
        yield Watch(api, timeline, handler)
    finally:
        logger.removeHandler(handler)


def counted(metrics: Metrics, name: str) -> float | None:
    return metrics.registry.get_sample_value(name)


@pytest.mark.parametrize("max_in_flight", [1, 3])
async def test_failed_stores_are_retried_and_no_send_starts_until_they_succeed(
    engine: AsyncEngine,
    session_pool: SessionPool,
    api: LocalBotAPI,
    watch: Watch,
    max_in_flight: int,
) -> None:
    chats = list(range(9401, 9411))
    ids = await add_users(session_pool, api, chats)
    await enqueue(
        session_pool,
        [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2) for c in chats],
    )
    # The first outcome fails three times over, later ones once or twice.
    failing = {0, 1, 2, 5, 6, 11}
    faults = OutcomeWriteFaults(engine, lambda _, number: number in failing, watch.timeline)
    metrics = Metrics()
    worker = make_worker(
        api,
        faults.session_pool(),
        bot=watch.bot(),
        max_in_flight=max_in_flight,
        store_backoff=QUICK_RETRIES,
        metrics=metrics,
    )
    async with running(worker):
        await drained(session_pool)

    delivered = delivered_texts(api)
    assert len(delivered) == 20
    assert set(delivered.values()) == {1}, "a message was sent twice"
    assert watch.timeline.count("send") == 20
    rows = await notifications(session_pool)
    assert {(n.status, n.attempts) for n in rows.values()} == {("sent", 1)}

    assert faults.failures == len(failing)
    watch.timeline.assert_no_send_while_a_store_fails()
    reports = watch.log.saying(RETRYING)
    assert len(reports) == len(failing)
    by_id = {n.id: n for n in rows.values()}
    for record in reports:
        notification = by_id[record.__dict__["notification"]]
        assert record.__dict__["chat"] == notification.chat_id
        assert "OperationalError" in record.__dict__["error"]
        assert " ru" not in record.getMessage() + str(record.__dict__)  # no message text
    assert watch.log.saying(GAVE_UP) == []
    assert watch.log.saying("delivery batch failed") == []
    assert counted(metrics, "sanat_delivery_store_failures_total") == len(failing)
    assert counted(metrics, "sanat_delivery_stores_abandoned_total") == 0


async def test_a_store_failing_past_the_lease_costs_one_duplicate_and_the_worker_goes_on(
    engine: AsyncEngine,
    session_pool: SessionPool,
    api: LocalBotAPI,
    watch: Watch,
) -> None:
    stuck, others = 9501, [9502, 9503, 9504]
    ids = await add_users(session_pool, api, [stuck, *others])
    await enqueue(session_pool, [(ids[c], c, str(c), text(str(c))) for c in [stuck, *others]])
    stuck_id = (await notifications(session_pool))[str(stuck)].id
    assert stuck_id is not None
    # Its outcome cannot be stored until Telegram has had it twice: the lease runs out first.
    faults = OutcomeWriteFaults(
        engine, lambda target, _: target == stuck_id and api.sent_count(stuck) < 2, watch.timeline
    )
    metrics = Metrics()
    worker = make_worker(
        api,
        faults.session_pool(),
        bot=watch.bot(),
        lease=LEASE,
        store_backoff=Backoff(base=0.05, cap=0.2),
        metrics=metrics,
    )
    async with running(worker):
        await drained(session_pool)

    delivered = delivered_texts(api)
    assert delivered[(stuck, f"{stuck} ru")] == 2
    assert all(delivered[(chat, f"{chat} ru")] == 1 for chat in others)
    assert {n.status for n in (await notifications(session_pool)).values()} == {"sent"}

    lease = LEASE.total_seconds()
    first, second = watch.timeline.times("send", stuck)
    [gave_up] = watch.timeline.times("abandoned", stuck_id)
    assert second - first >= lease * 0.8, "sent again before the lease ended"
    # Retried as long as the lease allowed, and no longer.
    assert lease * 2 / 3 <= gave_up - first <= lease
    assert len(watch.log.saying(RETRYING)) >= 5
    watch.timeline.assert_no_send_while_a_store_fails()
    assert len(watch.log.saying("delivery batch failed")) == 1
    assert counted(metrics, "sanat_delivery_stores_abandoned_total") == 1


async def test_a_failed_write_about_an_unsent_message_ends_only_its_own_chat(
    engine: AsyncEngine,
    session_pool: SessionPool,
    api: LocalBotAPI,
    watch: Watch,
) -> None:
    gone, others = 9601, [9602, 9603, 9604]
    ids = await add_users(session_pool, api, [gone, *others])
    async with session_pool() as session:
        user = (await session.exec(select(User).where(User.telegram_id == gone))).one()
        user.unreachable_at = dt.datetime.now(dt.UTC)
        await session.commit()
    await enqueue(session_pool, [(ids[c], c, str(c), text(str(c))) for c in [gone, *others]])
    gone_id = (await notifications(session_pool))[str(gone)].id
    # Cancelling the unreachable user's notification fails once.
    faults = OutcomeWriteFaults(
        engine, lambda target, _: target == gone_id and faults.failures == 0, watch.timeline
    )
    worker = make_worker(api, faults.session_pool(), bot=watch.bot(), lease=LEASE)
    started = time.monotonic()
    async with running(worker):
        await drained(session_pool)

    rows = await notifications(session_pool)
    assert rows[str(gone)].status == "cancelled"  # claimed again after the lease
    assert {rows[str(chat)].status for chat in others} == {"sent"}
    assert set(delivered_texts(api).values()) == {1}
    assert api.sent_count(gone) == 0
    # The other chats' sends were not cancelled with the batch: they went well inside its lease.
    lease = LEASE.total_seconds()
    assert all(watch.timeline.times("send", chat)[0] - started < lease / 2 for chat in others)
    assert len(watch.log.saying(UNSENT_FAILED)) == 1
    assert watch.log.saying("delivery batch failed") == []
