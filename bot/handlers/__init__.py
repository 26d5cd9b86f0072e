"""Routers in the order they must be tried: features first, errors, then the fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import assessment, courses, errors, fallback, menu, start


def create_routers() -> list[Router]:
    return [
        menu.create_router(),
        start.create_router(),
        assessment.create_router(),
        courses.create_router(),
        errors.create_router(),
        fallback.create_router(),
    ]
