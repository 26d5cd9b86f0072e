"""All middleware registration in one place, in a fixed order."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n

from backend.db import SessionPool
from backend.metrics import Metrics
from bot.middlewares.i18n import UserLocaleMiddleware
from bot.middlewares.metrics import setup_metrics
from bot.middlewares.update import UpdateMiddleware

IN_FLIGHT = "in_flight"  # the dispatcher's InFlightUpdates, for a graceful shutdown


def setup_middlewares(
    dp: Dispatcher, *, session_pool: SessionPool, i18n: I18n, metrics: Metrics | None = None
) -> None:
    # With metrics, the update is timed and counted outermost (handler and result). Then one
    # outer middleware does, in this order: count the update in flight, open a session, look up
    # the user (needs the session), build the handlers' BotContext (needs both), set the locale
    # (needs the user). Then automatic callback answers, so no button spins forever. The error
    # handlers run outside it (aiogram's error middleware is outermost): they get the locale
    # from their own middleware.
    if metrics is not None:
        setup_metrics(dp, metrics)
    update = UpdateMiddleware(session_pool, i18n)
    dp[IN_FLIGHT] = update
    dp.update.outer_middleware(update)
    dp.errors.outer_middleware(UserLocaleMiddleware(i18n))
    dp.callback_query.middleware(CallbackAnswerMiddleware())
