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
from aiogram.types import Chat, File, Message, User

FILES_DIR = "documents"
BOT_USER = User(id=42, is_bot=True, first_name="Sanat", username="sanat_test_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_ids = itertools.count(1000)
        self.files: dict[str, bytes] = {}  # file id -> content, for getFile and downloads

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
        if name == "GetFile":
            file_id = str(getattr(method, "file_id", ""))
            content = self.files.get(file_id, b"")
            return File(
                file_id=file_id,
                file_unique_id=f"u-{file_id}",
                file_size=len(content),
                file_path=f"{FILES_DIR}/{file_id}",
            )
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """A download of a file added with ``MockedBot.add_file`` (the URL ends with its path)."""
        file_id = url.rsplit(f"/{FILES_DIR}/", 1)[-1]
        content = self.files.get(file_id, b"")
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    async def close(self) -> None:
        return None


class MockedBot(Bot):
    session: RecordingSession

    def __init__(self) -> None:
        super().__init__(
            "42:TEST_TOKEN_only_for_the_recording_session", session=RecordingSession()
        )
        self._me = BOT_USER

    def add_file(self, file_id: str, content: bytes) -> None:
        """A file Telegram holds: ``bot.download(file_id)`` gives ``content``."""
        self.session.files[file_id] = content

    def sent(self, name: str) -> list[Any]:
        """The recorded calls of one Bot API method, e.g. ``sent("SendMessage")``."""
        return [r for r in self.session.requests if type(r).__name__ == name]

    def texts(self) -> list[str]:
        return [
            str(getattr(r, "text", "")) for r in self.session.requests if getattr(r, "text", None)
        ]
