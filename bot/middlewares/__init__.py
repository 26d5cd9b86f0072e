"""All middleware registration in one place, in a fixed order."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n

from backend.db import SessionPool
from backend.metrics import Metrics
from bot.middlewares.context import ContextMiddleware
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.i18n import UserLocaleMiddleware
from bot.middlewares.inflight import InFlightUpdates
from bot.middlewares.metrics import setup_metrics
from bot.middlewares.user import UserMiddleware

IN_FLIGHT = "in_flight"  # the dispatcher's InFlightUpdates, for a graceful shutdown


def setup_middlewares(
    dp: Dispatcher, *, session_pool: SessionPool, i18n: I18n, metrics: Metrics | None = None
) -> None:
    # Order matters: count in-flight updates outermost; then a session, then the user (needs
    # the session), then the handlers' BotContext (needs both), then the locale (needs the
    # user), then automatic callback answers so no button spins forever.
    in_flight = InFlightUpdates()
    dp[IN_FLIGHT] = in_flight
    dp.update.outer_middleware(in_flight)
    if metrics is not None:
        setup_metrics(dp, metrics)  # updates by handler and result, time per step
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    dp.update.outer_middleware(UserMiddleware())
    dp.update.outer_middleware(ContextMiddleware())
    UserLocaleMiddleware(i18n).setup(dp)
    dp.callback_query.middleware(CallbackAnswerMiddleware())
