"""Channels and groups of organisations, the monthly duty and its relayed submissions."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.channels import duty, handlers


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(handlers.create_router(), duty.create_router())
    return router
