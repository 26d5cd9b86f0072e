from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n

from backend.db import SessionPool
from backend.models import UserRead
from backend.users import get_or_create_user
from bot.context import CONTEXT_KEY, BotContext
from bot.middlewares.i18n import locale_of
from bot.middlewares.inflight import InFlightUpdates


class UpdateMiddleware(InFlightUpdates):
    """Everything Sanat does around an update, as one outer middleware (each aiogram middleware
    level costs a wrapper, a partial and a coroutine per update; there were five):

    1. count the update as in flight (for a graceful shutdown);
    2. one database session, closed when the update is handled;
    3. the Sanat user behind a (non-bot) Telegram sender in ``data["user"]``;
    4. the handlers' ``BotContext`` in ``data["ctx"]`` (only for updates from a user);
    5. the locale of the replies: the user's stored choice, before one the client's language.
    """

    def __init__(self, session_pool: SessionPool, i18n: I18n) -> None:
        super().__init__()
        self.session_pool = session_pool
        self.i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        with self.counted():
            async with self.session_pool() as session:
                data["session"] = session
                user: UserRead | None = None
                sender: User | None = data.get("event_from_user")
                if sender is not None and not sender.is_bot:
                    user = data["user"] = await get_or_create_user(
                        session=session,
                        telegram_id=sender.id,
                        username=sender.username,
                        full_name=sender.full_name,
                    )
                    data[CONTEXT_KEY] = BotContext(
                        session=session,
                        user=user,
                        ruleset=data["ruleset"],
                        settings=data["settings"],
                        i18n=data["i18n"],
                        bot=data["bot"],
                    )
                i18n = self.i18n
                with i18n.context(), i18n.use_locale(locale_of(i18n, user, sender)):
                    return await handler(event, data)
