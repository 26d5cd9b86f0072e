from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.context import CONTEXT_KEY, BotContext


class ContextMiddleware(BaseMiddleware):
    """Bundles the session, the user and the workflow data into ``data["ctx"]``.

    Only for updates from a user (``UserMiddleware`` put one in ``data["user"]``): the handlers
    of other updates (a channel post, the bot's own membership) declare what they use by name.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if "user" in data:
            data[CONTEXT_KEY] = BotContext(
                session=data["session"],
                user=data["user"],
                ruleset=data["ruleset"],
                settings=data["settings"],
                i18n=data["i18n"],
                bot=data["bot"],
            )
        return await handler(event, data)
