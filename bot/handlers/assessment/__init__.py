"""Self-assessment: organisation kind, position, the engine's questions, the result."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.assessment import handlers


def create_router() -> Router:
    return handlers.create_router()
