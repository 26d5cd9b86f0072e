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
* A database error is not a crash. An outcome whose write fails (a dropped connection, a pool
  timeout, "too many clients", a locked SQLite file) is kept and written again, with backoff
  (``store_backoff``) and a warning per failure, until it is stored or the lease is about to
  end. Meanwhile no send starts, in any chat of the batch: an outcome that cannot be stored is a
  future duplicate. So a database that recovers within the lease costs no duplicate, and one
  that does not costs at most the messages uncertain when it failed (``max_in_flight``): the
  worker gives up on their outcomes -- after the lease the outbox would refuse them anyway
  (``Claimed.claimed_until``: another worker may have claimed the rows since) -- ends the
  batch and goes on with the next. Unsent rows whose writes fail, or whose turn ends while an
  outcome is failing, stay claimed until the lease ends: claimed again then, never sent twice.
* A batch finishes well inside its lease: limiter waits end by half the lease, counted from
  before the claim (what did not get its turn goes back to the outbox, due when its chat is
  free), and a request times out after a quarter of it (whole seconds, at least one). So a send
  still under way cannot be claimed again by another worker, or by this one restarted, before it
  has timed out: the constructor refuses a lease too short to leave ``LEASE_MARGIN`` after the
  last request's timeout for storing its outcome. Storing an outcome, retries included, ends by
  the lease's end; a last retry starts no later than ``LEASE_MARGIN`` before it.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

from aiogram import Bot

from backend.db import SessionPool
from backend.delivery.limits import Clock, LocalLimiter, SendLimiter, Ticket
from backend.delivery.outbox import Claimed, Outbox, clip
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
LIMITER_RETRY = 5.0  # seconds before a chat asks a limiter that failed to answer again
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


# Between attempts to store an outcome: the database is expected back within seconds, and the
# lease bounds the retries anyway.
STORE_BACKOFF = Backoff(base=0.1, cap=2.0)


class OutcomeNotStoredError(Exception):
    """Storing a send's outcome still failed when the lease was about to end: the message
    will be claimed and sent again. Ends the batch."""


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
        store_backoff: Backoff = STORE_BACKOFF,
        limiter_retry: float = LIMITER_RETRY,
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
        :param metrics: where sends (by result), 429 pauses and failed outcome writes are
            counted
        :param backoff: between sends of a message that met a transient error
        :param store_backoff: between attempts to store an outcome while the database fails
        :param limiter_retry: seconds before a chat whose admission failed (the shared
            limiter out of reach) asks again; the batch's other chats go on meanwhile
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
        self._store_backoff = store_backoff
        self._limiter_retry = limiter_retry
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
        self._limiter_failing = False
        # Notifications whose outcome is failing to be stored; while there are any, no send
        # starts. Set when there are none.
        self._unstored: set[int] = set()
        self._outcomes_stored = asyncio.Event()
        self._outcomes_stored.set()

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
        rows go back to the outbox); sends already under way finish and are stored (while the
        database fails, for as long as their lease allows).
        """
        await self._stopping.wait()
        now = asyncio.get_running_loop().time()
        for wait in self._queued:
            wait.reschedule(now)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; the number of notifications handled."""
        # Counted from before the claim: its lease starts when the claim's transaction does.
        claimed_at = self._clock()
        turns_end = claimed_at + self._lease.total_seconds() * TURNS_SHARE
        lease_end = claimed_at + self._lease.total_seconds()
        claim = await self._outbox.claim(self._batch_size, self._lease)
        self._resume_at = claim.paused_until
        if not claim.items:
            return 0
        by_chat: dict[int, list[Claimed]] = {}
        for item in claim.items:
            by_chat.setdefault(item.chat_id, []).append(item)
        # A batch that gave up on an outcome ended with sends held back; this one starts afresh.
        self._unstored.clear()
        self._outcomes_stored.set()
        async with asyncio.TaskGroup() as group:
            for chat_id, items in by_chat.items():
                group.create_task(self._deliver_to_chat(chat_id, items, turns_end, lease_end))
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

    async def _deliver_to_chat(
        self, chat_id: int, items: list[Claimed], turns_end: float, lease_end: float
    ) -> None:
        """One chat's share of the batch, in order: each waits for the previous one's answer.

        Writes about items that were not sent end the chat's share when they fail, not the
        batch: ending it would cancel the other chats' sends in flight and outcomes being
        stored, and make duplicates of them. The chat's rows stay claimed until the lease ends,
        then are claimed again; none was sent, so none is a duplicate.
        """
        for index, item in enumerate(items):
            if item.unreachable:
                if not await self._write_unsent(item, self._outbox.cancelled(item, "unreachable")):
                    return
                continue
            try:
                message = self._renderer.render(item.notification, item.language)
            except RenderError as error:
                attempts = item.notification.attempts
                failed = self._outbox.failed(item, attempts, f"render: {error}")
                if not await self._write_unsent(item, failed):
                    return
                continue
            turn = await self._take_turn(chat_id, turns_end)
            if not isinstance(turn, Ticket):
                if self._unstored:
                    # The database is failing to store an outcome: rather than add a release
                    # to its load, leave the rows claimed until the lease ends (none was sent).
                    return
                at = self._wall_time(turn)
                await self._write_unsent(item, self._outbox.release(items[index:], at))
                return
            try:
                try:
                    outcome = await send(
                        self._bot, chat_id, message, request_timeout=self._request_timeout
                    )
                finally:
                    await self._answered(turn, sent=True)
                # Holding the place in flight until the outcome is stored: the message is
                # uncertain until then, and ``max_in_flight`` bounds the uncertain ones.
                done = await self._store(item, outcome, items[index + 1 :], lease_end)
            finally:
                self._in_flight.release()
            if done:
                return

    async def _write_unsent(self, item: Claimed, write: Awaitable[None]) -> bool:
        """Await a write about ``item`` (and maybe the chat's later items), none of them sent;
        False, logged, if it failed."""
        try:
            await write
        except Exception:
            log.warning(
                "updating unsent notifications failed; they stay claimed until the lease ends",
                extra={"notification": item.id, "chat": item.chat_id},
                exc_info=True,
            )
            return False
        return True

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
            if not await self._wait_for_outcomes_stored(deadline):
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
                and not self._unstored
                and not self._stopping.is_set()
                and self._clock() - admitted_at <= self._admitted_for
            ):
                return ticket
            # A 429 came while we queued (wait for the pause to end), an outcome is failing to
            # be stored (wait until it is), we are stopping, or the admission waited so long
            # that its places may expire mid-send: admit again.
            await self._answered(ticket, sent=False)
            self._in_flight.release()

    async def _wait_for_outcomes_stored(self, deadline: float) -> bool:
        """Wait while an outcome is failing to be stored; False if that lasts past ``deadline``
        (monotonic) or the worker is stopping."""
        if self._outcomes_stored.is_set():
            return True
        try:
            async with asyncio.timeout(max(0.0, deadline - self._clock())) as wait:
                self._queued.add(wait)  # a stop ends the wait at once
                try:
                    await self._outcomes_stored.wait()
                finally:
                    self._queued.discard(wait)
        except TimeoutError:
            return False
        return not self._stopping.is_set()

    async def _admit(self, chat_id: int) -> tuple[Ticket, float] | float:
        """Admitted by the limiter and holding a place in flight: the ticket and when it was
        admitted; or when to try the chat again, holding nothing."""
        async with self._admitting:
            try:
                admitted = await self._limiter.admit(chat_id, self._in_flight_for)
            except Exception:
                # A shared limiter out of reach (Redis or PostgreSQL): this chat tries again
                # later, the batch's other chats go on. Places it may have taken free
                # themselves after ``in_flight_for``: later, never sooner.
                self._limiter_failed()
                return self._clock() + self._limiter_retry
            self._limiter_recovered()
            if not isinstance(admitted, Ticket):
                return admitted
            admitted_at = self._clock()
            try:
                await self._in_flight.acquire()  # the send before this one ends
            except BaseException:
                await self._answered(admitted, sent=False)
                raise
        return admitted, admitted_at

    def _limiter_failed(self) -> None:
        if not self._limiter_failing:  # one warning per outage, not one per chat and retry
            log.warning("the send limiter cannot be reached; sends wait", exc_info=True)
        self._limiter_failing = True

    def _limiter_recovered(self) -> None:
        if self._limiter_failing:
            log.info("the send limiter answers again")
        self._limiter_failing = False

    async def _answered(self, ticket: Ticket, *, sent: bool) -> None:
        """Record the answer with the limiter. If a shared limiter cannot be reached, its
        places free themselves after the request timeout plus the period: later, never sooner.
        """
        try:
            await self._limiter.answered(ticket, sent=sent)
        except Exception:
            log.warning("recording a send with the limiter failed", exc_info=True)

    async def _store(
        self, item: Claimed, outcome: Outcome, rest: Sequence[Claimed], lease_end: float
    ) -> bool:
        """Store the outcome; True when the chat's remaining items were dealt with too.
        ``OutcomeNotStoredError`` if the database failed until ``lease_end`` (monotonic)."""
        if self._metrics is not None:
            self._metrics.sends.labels(result_label(outcome)).inc()
            if isinstance(outcome, RetryAfter):
                self._metrics.paused_seconds.inc(outcome.seconds)
        write, done = self._outcome_write(item, outcome, rest)
        await self._store_by(item, write, lease_end)
        return done

    def _outcome_write(
        self, item: Claimed, outcome: Outcome, rest: Sequence[Claimed]
    ) -> tuple[Callable[[], Awaitable[None]], bool]:
        """What the outcome changes in memory and logs, done once; and the outbox write to
        store it, which may be retried. True when that write deals with ``rest`` too.
        """
        attempts = item.notification.attempts + 1
        extra = {"notification": item.id, "chat": item.chat_id}
        match outcome:
            case Sent():
                return partial(self._outbox.sent, item, attempts), False
            case RetryAfter(seconds=seconds, description=description):
                self._paused_until = max(self._paused_until, self._clock() + seconds)
                until = self._now() + dt.timedelta(seconds=seconds)
                log.warning("telegram asked to pause", extra=extra | {"seconds": seconds})

                async def pause() -> None:
                    await self._outbox.pause(item, until, description)
                    # The chat's later messages wait too, so that they keep their order.
                    await self._outbox.release(rest, until)

                return pause, True
            case Blocked(description=description):
                log.info("recipient unreachable", extra=extra | {"error": description})
                return partial(self._outbox.blocked, item, attempts, BLOCKED, rest), True
            case Rejected(description=description):
                log.warning("telegram rejected a message", extra=extra | {"error": description})
                return partial(self._outbox.failed, item, attempts, description), False
            case Transient(description=description):
                if attempts >= self._settings.max_attempts:
                    log.warning("delivery gave up", extra=extra | {"error": description})
                    return partial(self._outbox.failed, item, attempts, description), False
                delay = self._backoff.delay(attempts, random.random())
                at = self._now() + dt.timedelta(seconds=delay)
                return partial(self._outbox.retry_at, item, at, attempts, description), False

    async def _store_by(
        self, item: Claimed, write: Callable[[], Awaitable[None]], lease_end: float
    ) -> None:
        """Run ``write`` until it succeeds, retrying failures with backoff while the lease
        leaves time; no send starts meanwhile. ``OutcomeNotStoredError`` when it runs out.

        Retrying is safe: every outbox write requires the row to be still claimed, so a retry
        after a write that committed but failed to say so changes nothing.
        """
        last_start = lease_end - LEASE_MARGIN
        extra = {"notification": item.id, "chat": item.chat_id}
        failures = 0
        while True:
            try:
                # Done by the end of the lease or not at all: a write landing later could undo
                # what another worker did with the row after claiming it again.
                async with asyncio.timeout(max(0.0, lease_end - self._clock())):
                    await write()
            except Exception as error:
                failures += 1
                self._unstored.add(item.id)
                self._outcomes_stored.clear()
                if self._metrics is not None:
                    self._metrics.store_failures.inc()
                failure = extra | {"error": _summary(error), "failures": failures}
                now = self._clock()
                if now >= last_start:
                    # Sends stay held back: the batch ends here, as its lease (shared by all
                    # its rows) does.
                    if self._metrics is not None:
                        self._metrics.stores_abandoned.inc()
                    log.error("storing an outcome failed until its lease ran out", extra=failure)
                    raise OutcomeNotStoredError(item.id) from error
                retry_at = min(
                    now + self._store_backoff.delay(failures, random.random()), last_start
                )
                log.warning(
                    "storing an outcome failed; retrying",
                    extra=failure | {"retry_in": round(retry_at - now, 3)},
                )
                await asyncio.sleep(retry_at - now)
                continue
            self._unstored.discard(item.id)
            if not self._unstored:
                self._outcomes_stored.set()
            return

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


def _summary(error: BaseException) -> str:
    """The error's class and first line: a database error's next lines quote the statement."""
    lines = str(error).strip().splitlines()
    name = type(error).__name__
    return clip(f"{name}: {lines[0]}", 300) if lines else name
