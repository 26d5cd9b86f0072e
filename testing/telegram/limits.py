"""The two ways the local server refuses a call on purpose: flood limits and injected faults."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from testing.telegram.wire import APIError

# The methods Telegram's flood control counts as "sending a message to a chat".
SEND_METHODS = frozenset(
    {"sendmessage", "senddocument", "sendphoto", "copymessage", "forwardmessage"}
)

_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(frozen=True)
class Limits:
    """Telegram's documented broadcast limits (https://core.telegram.org/bots/faq)."""

    global_per_second: int = 30
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20  # groups, supergroups and channels: negative chat ids


class _Window:
    """At most ``capacity`` events in any ``seconds``-long sliding window."""

    def __init__(self, capacity: int, seconds: float) -> None:
        self.capacity = capacity
        self.seconds = seconds
        self._times: deque[float] = deque()

    def retry_after(self, now: float) -> int | None:
        """Whole seconds until one more event fits (as Telegram answers), or None if it fits."""
        while self._times and self._times[0] <= now - self.seconds:
            self._times.popleft()
        if len(self._times) < self.capacity:
            return None
        return max(1, math.ceil(self._times[0] + self.seconds - now))

    def record(self, now: float) -> None:
        self._times.append(now)


class FloodControl:
    """Answers 429 like Telegram when a send would exceed a limit; refused sends don't count."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self._limits = limits
        self._clock = clock
        self._global = _Window(limits.global_per_second, 1.0)
        self._per_chat: dict[int, _Window] = {}
        self._per_group: dict[int, _Window] = {}

    def check(self, chat_id: int) -> None:
        now = self._clock()
        waits = [window.retry_after(now) for window in self._windows(chat_id)]
        if any(wait is not None for wait in waits):
            retry_after = max(wait for wait in waits if wait is not None)
            raise APIError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def record(self, chat_id: int) -> None:
        now = self._clock()
        for window in self._windows(chat_id):
            window.record(now)

    def _windows(self, chat_id: int) -> list[_Window]:
        windows = [
            self._global,
            self._per_chat.setdefault(chat_id, _Window(self._limits.per_chat_per_second, 1.0)),
        ]
        if chat_id < 0:
            windows.append(
                self._per_group.setdefault(
                    chat_id, _Window(self._limits.per_group_per_minute, 60.0)
                )
            )
        return windows


@dataclass
class Fault:
    """An error the server answers instead of running matching calls, ``remaining`` times."""

    error_code: int
    description: str
    method: str | None = None  # None: any method
    chat_id: int | None = None  # None: any chat, or none
    retry_after: int | None = None
    remaining: int | None = 1  # None: until cleared

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (self.method is None or self.method.lower() == method.lower()) and (
            self.chat_id is None or self.chat_id == chat_id
        )

    def to_error(self) -> APIError:
        return APIError(self.error_code, self.description, retry_after=self.retry_after)


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        error: int,
        *,
        method: str | None,
        chat_id: int | None,
        retry_after: int,
        times: int | None,
        description: str | None,
    ) -> Fault:
        if description is None:
            if error == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            elif error in _DESCRIPTIONS:
                description = _DESCRIPTIONS[error]
            else:
                raise ValueError(f"no default description for error {error}; pass one")
        fault = Fault(
            error_code=error,
            description=description,
            method=method,
            chat_id=chat_id,
            retry_after=retry_after if error == 429 else None,
            remaining=times,
        )
        self._faults.append(fault)
        return fault

    def take(self, method: str, chat_id: int | None) -> APIError | None:
        """The error for this call, if a fault matches; the oldest matching fault wins."""
        for fault in self._faults:
            if fault.matches(method, chat_id):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault.to_error()
        return None

    def clear(self) -> None:
        self._faults.clear()


def busiest_second(arrivals: list[float]) -> tuple[int, float]:
    """The most arrivals in any one-second window [t, t + 1), and where that window starts,
    in seconds from the first arrival: how a client's combined send rate is checked."""
    times = sorted(arrivals)
    best, best_at, start = 0, 0.0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        if end - start + 1 > best:
            best, best_at = end - start + 1, times[start] - times[0]
    return best, best_at
