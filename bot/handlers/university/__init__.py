"""University teaching staff: the self-check against profession cards 3-5 (Order 616)."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.university import handlers


def create_router() -> Router:
    return handlers.create_router()
