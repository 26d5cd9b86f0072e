"""(being written) see the module's owner."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message


async def open_section(event: Message | CallbackQuery, state: FSMContext, **deps: Any) -> None:
    """The menu item of this section (from the main menu)."""
    raise NotImplementedError


def create_router() -> Router:
    return Router(name=__name__)
