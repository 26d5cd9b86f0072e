from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from backend.users import get_or_create_user


class UserMiddleware(BaseMiddleware):
    """Puts the Sanat user behind the Telegram sender into ``data["user"]``."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        sender: User | None = data.get("event_from_user")
        if sender is not None and not sender.is_bot:
            data["user"] = await get_or_create_user(
                session=data["session"],
                telegram_id=sender.id,
                username=sender.username,
                full_name=sender.full_name,
            )
        return await handler(event, data)
