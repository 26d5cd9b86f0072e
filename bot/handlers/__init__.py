"""Routers in the order they must be tried: features first, errors, then the fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, fallback, start


def create_routers() -> list[Router]:
    return [start.create_router(), errors.create_router(), fallback.create_router()]
