"""Broadcasts by curators: compose a draft, choose the audience, follow the progress."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.broadcasts import compose, progress, steps


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        compose.create_router(),  # /broadcast and the typed steps
        steps.create_router(),  # the compose buttons
        progress.create_router(),  # the progress buttons
    )
    return router
