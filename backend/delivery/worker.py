"""The delivery worker: claims due notifications in batches and sends them within the limits.

Guarantees:

* Nothing is lost. A claim is a lease (``lease``, 60 s by default): a row claimed by a worker that
  dies is handed out again once the lease expires, and every outcome is stored before the next
  send starts.
* At most ``max_in_flight`` duplicates per crash, one by default. A message is uncertain from the
  moment its request leaves until its outcome is committed; a crash inside that window means it
  is sent again after the lease. With one message in flight at a time, a crash leaves at most
  one such message. Raising ``max_in_flight`` buys throughput over a slow link to Telegram at the
  price of up to that many duplicates per crash.
* A batch finishes well inside its lease: limiter waits end by half the lease, counted from
  before the claim (what did not get its turn goes back to the outbox, due when its chat is
  free), and a request times out after a quarter of it (whole seconds, at least one). So a send
  still under way cannot be claimed again by another worker, or by this one restarted, before it
  has timed out: the constructor refuses a lease too short to leave ``LEASE_MARGIN`` after the
  last request's timeout for storing its outcome.

``attempts`` counts requests Telegram answered, except 429s (they say nothing about the
message): a message that failed twice with 5xx and then went through has ``attempts == 3``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram import Bot

from backend.db import SessionPool
from backend.delivery.limits import Clock, LocalLimiter, SendLimiter, Ticket
from backend.delivery.outbox import Claimed, Outbox
from backend.delivery.render import DefaultRenderer, Renderer, RenderError
from backend.delivery.telegram import (
    Blocked,
    Outcome,
    Rejected,
    RetryAfter,
    Sent,
    Transient,
    result_label,
    send,
)
from backend.metrics import Metrics
from backend.models.types import utcnow
from backend.settings import DeliverySettings

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(seconds=60)
TURNS_SHARE = 0.5  # of the lease: no send starts later than this after the claim
REQUEST_SHARE = 0.25  # of the lease: the request timeout
LEASE_MARGIN = 0.5  # seconds left after the last request's timeout, to store its outcome
MAX_BATCH = 500
BLOCKED = "blocked"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": half of each delay fixed, half random, so the
    retries of a burst of failures spread out instead of arriving together again.
    """

    base: float = 5.0  # seconds before the first retry, on average three quarters of it
    cap: float = 3600.0

    def delay(self, attempts: int, rand: float) -> float:
        full = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        return full / 2 + full / 2 * rand


def request_timeout(lease: dt.timedelta) -> int:
    """Seconds a send may take: a quarter of the lease, whole (aiogram wants an int), >= 1."""
    return max(1, int(lease.total_seconds() * REQUEST_SHARE))


def check_lease(lease: dt.timedelta) -> None:
    """ValueError unless a send started at the last moment times out, and its outcome can be
    stored, before the lease ends -- otherwise another worker could claim and send the message
    again while the first request is still under way.
    """
    seconds = lease.total_seconds()
    needed = seconds * TURNS_SHARE + request_timeout(lease) + LEASE_MARGIN
    if needed > seconds:
        raise ValueError(
            f"a lease of {seconds:g} s is too short: the last send may start after "
            f"{seconds * TURNS_SHARE:g} s and time out {request_timeout(lease)} s later, "
            f"which leaves less than {LEASE_MARGIN} s to store its outcome"
        )


class DeliveryWorker:
    """Drains the outbox. ``run_once`` sends one batch; ``run`` loops until ``stop`` is set.

    The worker owns ``bot``: ``close`` closes its session.
    """

    def __init__(
        self,
        *,
        settings: DeliverySettings,
        session_pool: SessionPool,
        bot: Bot,
        renderer: Renderer | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        lease: dt.timedelta = DEFAULT_LEASE,
        backoff: Backoff | None = None,
        batch_size: int | None = None,
        max_in_flight: int = 1,
        poll_interval: float = 1.0,
        clock: Clock = time.monotonic,
        limiter: SendLimiter | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """
        :param now: wall-clock UTC time, for what is stored (due times, pauses)
        :param clock: monotonic seconds, for the rate limits; asyncio sleeps by this clock
        :param limiter: the send limits, shared with other workers
            (``backend.delivery.shared_limits.create_send_limiter``); by default this
            process's own (``LocalLimiter``). The worker closes it.
        :param metrics: where sends (by result) and 429 pauses are counted
        :param batch_size: rows per claim; by default what the global rate sends in a quarter
            of the lease, which leaves room for per-chat waits within the batch's half lease
        """
        self._settings = settings
        self._bot = bot
        self._renderer = renderer or DefaultRenderer()
        self._now = now
        self._clock = clock
        self._outbox = Outbox(session_pool, now)
        self._lease = lease
        check_lease(lease)
        self._backoff = backoff or Backoff()
        seconds = lease.total_seconds()
        self._batch_size = batch_size or max(
            1, min(MAX_BATCH, math.ceil(settings.global_rate * seconds / 4))
        )
        self._request_timeout = request_timeout(lease)
        self._poll_interval = poll_interval
        self._limiter: SendLimiter = limiter or LocalLimiter(
            settings.global_rate, settings.per_chat_interval, settings.per_group_per_minute, clock
        )
        # How long an admitted send may wait for its turn in flight (then it is admitted
        # again) plus how long it may be in flight: a shared limiter holds its places that long
        # when no answer is recorded (a crashed worker's).
        self._admitted_for = float(self._request_timeout)
        self._in_flight_for = self._admitted_for + self._request_timeout + LEASE_MARGIN
        self._metrics = metrics
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # Admission runs one step ahead: the next send is admitted while the current one is
        # under way, which hides a shared limiter's round trip.
        self._admitting = asyncio.Semaphore(max_in_flight)
        self._paused_until = -math.inf  # monotonic; a 429 this worker saw
        self._resume_at: dt.datetime | None = None  # a stored global pause the claim saw
        self._stopping = asyncio.Event()
        self._queued: set[asyncio.Timeout] = set()  # sends waiting for a place in flight

    async def run(self, stop: asyncio.Event) -> None:
        """Send batches until ``stop`` is set; then give back what was claimed and not sent."""
        self._stopping = stop
        log.info("delivery worker started", extra={"rate": self._settings.global_rate})
        watcher = asyncio.create_task(self._unqueue_on_stop())
        try:
            while not stop.is_set():
                try:
                    handled = await self.run_once()
                except Exception:
                    # The database or the network is down: keep the loop, retry after a pause.
                    log.exception("delivery batch failed")
                    handled = 0
                if not handled:
                    await self._sleep_until(self._clock() + self._idle_delay())
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        log.info("delivery worker stopped")

    async def _unqueue_on_stop(self) -> None:
        """On stop, sends still queued for the rate limit give up their turn at once (their
        rows go back to the outbox); sends already under way finish and are stored.
        """
        await self._stopping.wait()
        now = asyncio.get_running_loop().time()
        for wait in self._queued:
            wait.reschedule(now)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; the number of notifications handled."""
        # Counted from before the claim: its lease starts when the claim's transaction does.
        deadline = self._clock() + self._lease.total_seconds() * TURNS_SHARE
        claim = await self._outbox.claim(self._batch_size, self._lease)
        self._resume_at = claim.paused_until
        if not claim.items:
            return 0
        by_chat: dict[int, list[Claimed]] = {}
        for item in claim.items:
            by_chat.setdefault(item.chat_id, []).append(item)
        async with asyncio.TaskGroup() as group:
            for chat_id, items in by_chat.items():
                group.create_task(self._deliver_to_chat(chat_id, items, deadline))
        try:
            await self._limiter.prune()
        except Exception:
            log.warning("pruning the send limits failed", exc_info=True)
        return len(claim.items)

    async def close(self) -> None:
        try:
            await self._limiter.close()
        finally:
            await self._bot.session.close()

    async def _deliver_to_chat(self, chat_id: int, items: list[Claimed], deadline: float) -> None:
        """One chat's share of the batch, in order: each waits for the previous one's answer."""
        for index, item in enumerate(items):
            if item.unreachable:
                await self._outbox.cancelled(item, "unreachable")
                continue
            try:
                message = self._renderer.render(item.notification, item.language)
            except RenderError as error:
                await self._outbox.failed(item, item.notification.attempts, f"render: {error}")
                continue
            turn = await self._take_turn(chat_id, deadline)
            if not isinstance(turn, Ticket):
                await self._outbox.release(items[index:], self._wall_time(turn))
                return
            try:
                try:
                    outcome = await send(
                        self._bot, chat_id, message, request_timeout=self._request_timeout
                    )
                finally:
                    await self._answered(turn, sent=True)
                done = await self._store(item, outcome, items[index + 1 :])
            finally:
                self._in_flight.release()
            if done:
                return

    async def _take_turn(self, chat_id: int, deadline: float) -> Ticket | float:
        """Wait until a send to ``chat_id`` is allowed and take a place in flight: the ticket.
        Or, when that would be past ``deadline`` or the worker is stopping, the (monotonic) time
        to try again, holding nothing.
        """
        while True:
            ready = max(self._limiter.ready_at(chat_id), self._paused_until)
            if ready > deadline:
                return ready
            if not await self._sleep_until(ready):
                return self._clock()
            try:
                async with asyncio.timeout(max(0.0, deadline - self._clock())) as wait:
                    self._queued.add(wait)
                    try:
                        admitted = await self._admit(chat_id)
                    finally:
                        self._queued.discard(wait)
            except TimeoutError:
                return self._clock()
            if isinstance(admitted, float):
                # A shared limiter found the chat or its group busy (another worker's send).
                if admitted > deadline:
                    return admitted
                if not await self._sleep_until(admitted):
                    return self._clock()
                continue
            ticket, admitted_at = admitted
            if (
                self._paused_until <= self._clock()
                and not self._stopping.is_set()
                and self._clock() - admitted_at <= self._admitted_for
            ):
                return ticket
            # A 429 came while we queued (wait for the pause to end), we are stopping, or the
            # admission waited so long that its places may expire mid-send: admit again.
            await self._answered(ticket, sent=False)
            self._in_flight.release()

    async def _admit(self, chat_id: int) -> tuple[Ticket, float] | float:
        """Admitted by the limiter and holding a place in flight: the ticket and when it was
        admitted; or when to try the chat again, holding nothing."""
        async with self._admitting:
            admitted = await self._limiter.admit(chat_id, self._in_flight_for)
            if not isinstance(admitted, Ticket):
                return admitted
            admitted_at = self._clock()
            try:
                await self._in_flight.acquire()  # the send before this one ends
            except BaseException:
                await self._answered(admitted, sent=False)
                raise
        return admitted, admitted_at

    async def _answered(self, ticket: Ticket, *, sent: bool) -> None:
        """Record the answer with the limiter. If a shared limiter cannot be reached, its
        places free themselves after the request timeout plus the period: later, never sooner.
        """
        try:
            await self._limiter.answered(ticket, sent=sent)
        except Exception:
            log.warning("recording a send with the limiter failed", exc_info=True)

    async def _store(self, item: Claimed, outcome: Outcome, rest: Sequence[Claimed]) -> bool:
        """Store the outcome; True when the chat's remaining items were dealt with too."""
        attempts = item.notification.attempts + 1
        extra = {"notification": item.id, "chat": item.chat_id}
        if self._metrics is not None:
            self._metrics.sends.labels(result_label(outcome)).inc()
            if isinstance(outcome, RetryAfter):
                self._metrics.paused_seconds.inc(outcome.seconds)
        match outcome:
            case Sent():
                await self._outbox.sent(item, attempts)
            case RetryAfter(seconds=seconds, description=description):
                self._paused_until = max(self._paused_until, self._clock() + seconds)
                until = self._now() + dt.timedelta(seconds=seconds)
                log.warning("telegram asked to pause", extra=extra | {"seconds": seconds})
                await self._outbox.pause(item, until, description)
                # The chat's later messages wait too, so that they keep their order.
                await self._outbox.release(rest, until)
                return True
            case Blocked(description=description):
                log.info("recipient unreachable", extra=extra | {"error": description})
                await self._outbox.blocked(item, attempts, BLOCKED, rest)
                return True
            case Rejected(description=description):
                log.warning("telegram rejected a message", extra=extra | {"error": description})
                await self._outbox.failed(item, attempts, description)
            case Transient(description=description):
                if attempts >= self._settings.max_attempts:
                    log.warning("delivery gave up", extra=extra | {"error": description})
                    await self._outbox.failed(item, attempts, description)
                else:
                    delay = self._backoff.delay(attempts, random.random())
                    at = self._now() + dt.timedelta(seconds=delay)
                    await self._outbox.retry_at(item, at, attempts, description)
        return False

    async def _sleep_until(self, moment: float) -> bool:
        """Sleep until the monotonic ``moment``; False if the worker is stopping."""
        delay = moment - self._clock()
        if delay > 0 and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()
        return not self._stopping.is_set()

    def _idle_delay(self) -> float:
        if self._resume_at is None:
            return self._poll_interval
        remaining = (self._resume_at - self._now()).total_seconds()
        return min(self._poll_interval, max(0.01, remaining))

    def _wall_time(self, moment: float) -> dt.datetime:
        return self._now() + dt.timedelta(seconds=max(0.0, moment - self._clock()))
