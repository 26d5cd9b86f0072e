"""Administrators' commands in the bot: the curator role and the calendar of dated events."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.admin import calendar, curators


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_router(curators.create_router())
    router.include_router(calendar.create_router())
    return router
