"""A Bot whose session records every Bot API call instead of sending it (the Telegram edge).

Re-implemented after aiogram's own ``tests/mocked_bot.py``: each request is answered with a
Telegram-shaped result built from the request itself, so handlers run exactly as in production.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

BOT_USER = User(id=42, is_bot=True, first_name="Sanat", username="sanat_test_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(1000)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        result: TelegramType = self._result(method)
        return result

    def _result(self, method: TelegramMethod[Any]) -> Any:
        name = type(method).__name__
        if name in {"SendMessage", "EditMessageText", "SendDocument", "SendPhoto"}:
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            return Message(
                message_id=int(getattr(method, "message_id", 0) or next(self._message_ids)),
                date=dt.datetime.now(dt.UTC),
                chat=Chat(id=chat_id, type="private"),
                from_user=BOT_USER,
                text=getattr(method, "text", None) or getattr(method, "caption", None),
                reply_markup=getattr(method, "reply_markup", None),
            )
        if name == "GetMe":
            return BOT_USER
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - Sanat streams no files in tests
        yield b""

    async def close(self) -> None:
        return None


class MockedBot(Bot):
    session: RecordingSession

    def __init__(self) -> None:
        super().__init__(
            "42:TEST_TOKEN_only_for_the_recording_session", session=RecordingSession()
        )
        self._me = BOT_USER

    def sent(self, name: str) -> list[Any]:
        """The recorded calls of one Bot API method, e.g. ``sent("SendMessage")``."""
        return [r for r in self.session.requests if type(r).__name__ == name]

    def texts(self) -> list[str]:
        return [
            str(getattr(r, "text", "")) for r in self.session.requests if getattr(r, "text", None)
        ]
