"""Self-assessment: organisation kind, position, the engine's questions, the result."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.assessment import handlers, navigation, reopen, summary


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        handlers.create_router(),
        navigation.create_router(),
        reopen.create_router(),
        summary.create_router(),
    )
    return router
