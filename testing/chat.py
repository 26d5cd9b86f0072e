"""A person in a private chat with the bot, driven through the real dispatcher and MockedBot."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher
from aiogram.types import InlineKeyboardMarkup

from backend.courses import service as courses
from backend.db import SessionPool
from testing.mocked_bot import MockedBot
from testing.updates import callback_update, message_update, tg_user


class Chat:
    def __init__(
        self, dispatcher: Dispatcher, bot: MockedBot, user_id: int = 7001, language: str = "ru"
    ) -> None:
        self.dispatcher, self.bot = dispatcher, bot
        self.user = tg_user(user_id, language_code=language)

    async def send(self, text: str) -> None:
        await self.dispatcher.feed_update(self.bot, message_update(text, self.user))

    def last_screen(self) -> Any:
        """The newest message or edit that carries a keyboard (what the person looks at)."""
        for request in reversed(self.bot.session.requests):
            if isinstance(getattr(request, "reply_markup", None), InlineKeyboardMarkup):
                return request
        raise AssertionError("the bot has shown no keyboard")

    def buttons(self) -> list[tuple[str, str]]:
        markup = self.last_screen().reply_markup
        return [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row]

    async def press(self, label: str) -> None:
        """Press the first button of the current screen whose text contains ``label``."""
        for text, data in self.buttons():
            if label in text:
                await self.dispatcher.feed_update(self.bot, callback_update(data, self.user))
                return
        raise AssertionError(f"no button {label!r} in {[t for t, _ in self.buttons()]}")

    async def press_data(self, data: str) -> None:
        await self.dispatcher.feed_update(self.bot, callback_update(data, self.user))

    def texts(self) -> list[str]:
        return self.bot.texts()

    def last_text(self) -> str:
        return self.texts()[-1]


async def started_chat(dispatcher: Dispatcher, bot: MockedBot, user_id: int) -> Chat:
    """A person who opened the bot and chose Russian (so the menu, not the language prompt,
    comes next)."""
    chat = Chat(dispatcher, bot, user_id=user_id)
    await chat.send("/start")
    await chat.press("Русский")
    return chat


async def user_id_of(session_pool: SessionPool, chat: Chat) -> int:
    """The database id of the person behind ``chat`` (they must have started the bot)."""
    async with session_pool() as session:
        found = await courses.find_user_id(session=session, telegram_id=chat.user.id)
    assert found is not None
    return found


def callback_data_shown(bot: MockedBot) -> list[str]:
    """The callback data of every button the bot has shown so far."""
    data = []
    for request in bot.session.requests:
        markup = getattr(request, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", None) or []:
            data += [button.callback_data for button in row if button.callback_data]
    return data
