"""News: topics to follow, the region, and the one-tap unsubscribe under a broadcast."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.news import handlers


def create_router() -> Router:
    return handlers.create_router()
