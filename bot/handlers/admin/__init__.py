"""Administrators' commands in the bot: granting and taking back the curator role."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.admin import curators


def create_router() -> Router:
    return curators.create_router()
