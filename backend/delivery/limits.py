"""Client-side flood control: stay under Telegram's limits rather than learn them from 429s.

Telegram counts a send when its request arrives, which the client cannot observe: it only knows
the arrival lies between the request's start and its answer. Both limiters here therefore count a
send from the moment it is admitted until ``period`` after its answer. No window of arrivals can
then hold more than the limit, whatever the network's jitter — unlike a token bucket, whose burst
lets up to twice its capacity through within one sliding second.

These limiters hold one process's state. Several workers share the outbox safely (each row is
sent by one of them), but not these budgets: run one worker per bot token for full speed, or
divide ``global_rate`` between them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

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
