"""Post-course check-ins: the teacher's answers to the 1, 3 and 6 month questions."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.checkins import handlers


def create_router() -> Router:
    return handlers.create_router()
