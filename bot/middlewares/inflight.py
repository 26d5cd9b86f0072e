from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class InFlightUpdates(BaseMiddleware):
    """Counts updates being handled, so a shutdown can let them finish their Bot API calls.

    aiogram handles each polled update in its own task and does not wait for those tasks when
    polling stops; closing the bot's HTTP session then would cut their requests mid-way.
    """

    def __init__(self) -> None:
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        with self.counted():
            return await handler(event, data)

    @contextlib.contextmanager
    def counted(self) -> Iterator[None]:
        """One update in flight for as long as the block runs."""
        self._active += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._idle.set()

    async def drained(self, grace_seconds: float) -> bool:
        """Wait until no update is being handled; False if the grace period ran out first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
            return True
        return False
