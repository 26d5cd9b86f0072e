"""Client-side flood control: stay under Telegram's limits rather than learn them from 429s.

Telegram counts a send when its request arrives, which the client cannot observe: it only knows
the arrival lies between the request's start and its answer. Every limiter here therefore counts
a send from the moment it is admitted until ``period`` after its answer. No window of arrivals
can then hold more than the limit, whatever the network's jitter -- unlike a token bucket, whose
burst lets up to twice its capacity through within one sliding second.

Three limits, all per bot token: the global rate (``SANAT_DELIVERY_GLOBAL_RATE``), the interval
between two messages to one chat, and the messages per minute to one group or channel. The
worker talks to them through ``SendLimiter``:

* ``LocalLimiter`` (this module) keeps the budgets in the process: right for one worker, the
  embedded SQLite set-up.
* ``RedisLimiter`` and ``PostgresLimiter`` (``backend.delivery.shared_limits``) keep them where
  every delivery worker sees them, so that any number of workers together stay within the
  limits. ``create_send_limiter`` there picks one from the settings
  (``SANAT_DELIVERY_LIMITER``: Redis when ``SANAT_REDIS_URL`` is set, else PostgreSQL, else
  this one).

A shared limiter cannot know when a crashed worker's request was answered: an admitted send
holds its places until its answer, or, if no answer is recorded, until the request timeout plus
the period -- late, never early. 429 pauses are shared separately, through the outbox's
``delivery_pause`` rows.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Clock = Callable[[], float]  # monotonic seconds, the clock asyncio sleeps by


class SlidingWindow:
    """At most ``capacity`` sends in any ``period`` seconds; waiters are admitted in order."""

    def __init__(self, capacity: int, period: float, clock: Clock = time.monotonic) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.capacity = capacity
        self.period = period
        self._clock = clock
        self._answered: deque[float] = deque()  # answer times still inside the window
        self._in_flight = 0
        self._released = asyncio.Event()
        self._queue = asyncio.Lock()  # FIFO: the head waiter gets the next free place

    @classmethod
    def per_second(cls, rate: float, clock: Clock = time.monotonic) -> SlidingWindow:
        """``rate`` sends per second, e.g. 25 per 1 s, or 1 per 2 s for a rate of 0.5."""
        capacity = max(1, math.floor(rate))
        return cls(capacity, capacity / rate, clock)

    async def acquire(self) -> None:
        async with self._queue:
            while (wait := self._wait()) is not None:
                self._released.clear()
                if math.isinf(wait):
                    await self._released.wait()  # every place is in flight: wait for an answer
                else:
                    await asyncio.sleep(wait)

    def release(self, *, sent: bool = True) -> None:
        """The answer came (``sent``), or the place was not used after all."""
        self._in_flight -= 1
        if sent:
            self._answered.append(self._clock())
        self._released.set()

    def _wait(self) -> float | None:
        """None after taking a place; else seconds until one frees (inf: when an answer comes)."""
        now = self._clock()
        while self._answered and self._answered[0] + self.period <= now:
            self._answered.popleft()
        if self._in_flight + len(self._answered) < self.capacity:
            self._in_flight += 1
            return None
        if not self._answered:
            return math.inf
        return self._answered[0] + self.period - now


class ChatLimits:
    """When each chat may get its next message: ``interval`` after the previous answer in any
    chat, and at most ``group_per_minute`` in any minute in a group or channel (negative id).

    The worker sends to one chat from one task at a time, so this needs no locking: ask
    ``ready_at``, sleep until then, send, ``record`` the answer.
    """

    def __init__(
        self, interval: float, group_per_minute: int, clock: Clock = time.monotonic
    ) -> None:
        self._interval = interval
        self._group_capacity = group_per_minute
        self._clock = clock
        self._last: dict[int, float] = {}
        self._groups: dict[int, deque[float]] = {}

    def ready_at(self, chat_id: int) -> float:
        ready = self._last.get(chat_id, -math.inf) + self._interval
        window = self._groups.get(chat_id)
        if window is not None and len(window) == self._group_capacity:
            ready = max(ready, window[0] + 60.0)  # the oldest of the last N leaves the minute
        return ready

    def record(self, chat_id: int) -> None:
        now = self._clock()
        self._last[chat_id] = now
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque(maxlen=self._group_capacity)).append(now)

    def prune(self) -> None:
        """Forget chats whose limits no longer bind, so memory follows recent chats only."""
        now = self._clock()
        self._last = {c: t for c, t in self._last.items() if t + self._interval > now}
        self._groups = {c: w for c, w in self._groups.items() if w[-1] + 60.0 > now}


@dataclass(frozen=True)
class Ticket:
    """An admitted send: what its limiter needs to record the answer."""

    chat_id: int
    token: str = ""
    global_slot: int = -1
    group_slot: int = -1


class SendLimiter(Protocol):
    """The three limits as the worker uses them, for one send at a time per chat:

    ``ready_at`` is a hint (monotonic seconds) when a chat may next get a message, from what
    this process knows; ``admit`` waits for a place under the global rate and returns a
    ``Ticket``, or the monotonic time to try the chat again when the chat or group limits bind
    (a shared limiter learns that only there); ``answered`` records the answer (``sent``) or
    gives the places back unused.
    """

    def ready_at(self, chat_id: int) -> float: ...

    async def admit(self, chat_id: int, in_flight_for: float) -> Ticket | float: ...

    async def answered(self, ticket: Ticket, *, sent: bool) -> None: ...

    async def prune(self) -> None: ...

    async def close(self) -> None: ...


class LocalLimiter:
    """The limits of one process: a ``SlidingWindow`` and ``ChatLimits``."""

    def __init__(
        self,
        global_rate: float,
        per_chat_interval: float,
        per_group_per_minute: int,
        clock: Clock = time.monotonic,
    ) -> None:
        self.window = SlidingWindow.per_second(global_rate, clock)
        self.chats = ChatLimits(per_chat_interval, per_group_per_minute, clock)

    def ready_at(self, chat_id: int) -> float:
        return self.chats.ready_at(chat_id)

    async def admit(self, chat_id: int, in_flight_for: float) -> Ticket | float:
        await self.window.acquire()  # the chat's own limits were waited for by ``ready_at``
        return Ticket(chat_id)

    async def answered(self, ticket: Ticket, *, sent: bool) -> None:
        self.window.release(sent=sent)
        if sent:
            self.chats.record(ticket.chat_id)

    async def prune(self) -> None:
        self.chats.prune()

    async def close(self) -> None:
        return None
