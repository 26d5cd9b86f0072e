"""Updates by handler and result, and the time per update (one dialog step), into ``Metrics``.

The outer middleware on ``update`` times the whole update and counts its result (``ok``,
``error`` when a handler raised, ``unhandled`` when no handler took it); an inner middleware on
every event type names the handler that took it (``module.function``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject

from backend.metrics import Metrics

STEP_KEY = "metrics_step"
NO_HANDLER = "none"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class Step:
    handler: str = NO_HANDLER


class UpdateMetrics(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        step = data[STEP_KEY] = Step()
        started = time.perf_counter()
        result = "error"
        try:
            answer = await handler(event, data)
            result = "unhandled" if answer is UNHANDLED else "ok"
            return answer
        finally:
            self._metrics.updates.labels(step.handler, result).inc()
            self._metrics.step_seconds.labels(step.handler).observe(time.perf_counter() - started)


class HandlerName(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        step = data.get(STEP_KEY)
        chosen = data.get("handler")
        if isinstance(step, Step) and isinstance(chosen, HandlerObject):
            callback = chosen.callback
            module = getattr(callback, "__module__", "") or ""
            name = getattr(callback, "__name__", type(callback).__name__)
            step.handler = f"{module.rsplit('.', 1)[-1]}.{name}" if module else name
        return await handler(event, data)


def setup_metrics(dp: Dispatcher, metrics: Metrics) -> None:
    """Count every update (outermost) and name its handler."""
    dp.update.outer_middleware(UpdateMetrics(metrics))
    naming = HandlerName()
    for name, observer in dp.observers.items():
        if name not in ("update", "error"):
            observer.middleware(naming)
