"""Rough edges a new user met in the kk and ru walk-through (issue 16), through the real
dispatcher fed real updates; each test names the behaviour it pins down."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiogram import Dispatcher

from backend.db import SessionPool
from backend.settings import Settings
from bot.factory import create_i18n
from bot.handlers.staff import join as staff_join
from tests.bot import staff_support as support
from tests.bot.chat import Chat
from tests.bot.staff_support import FileBot
from tests.mocked_bot import MockedBot

LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}


@pytest.fixture
def bot() -> FileBot:
    return FileBot()


def in_locale(settings: Settings, locale: str, text: Callable[[], str]) -> str:
    i18n = create_i18n(settings)
    with i18n.context(), i18n.use_locale(locale):
        return text()


async def chat_in(dispatcher: Dispatcher, bot: MockedBot, user_id: int, language: str) -> Chat:
    """A person who opened the bot and chose ``language`` in it."""
    chat = Chat(dispatcher, bot, user_id=user_id, language=language)
    await chat.send("/start")
    await chat.press(LANGUAGE_BUTTONS[language])
    return chat


def menu_data(bot: MockedBot) -> list[str]:
    markup = bot.sent("SendMessage")[-1].reply_markup
    return [b.callback_data for row in markup.inline_keyboard for b in row]


# --- invitation links -------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_cut_or_malformed_invitation_link_says_open_it_whole(
    language: str,
    dispatcher: Dispatcher,
    bot: FileBot,
    session_pool: SessionPool,
    settings: Settings,
) -> None:
    org_id = await support.make_organisation(session_pool)
    token = await support.invitation_token(session_pool, org_id)
    chat = await chat_in(dispatcher, bot, 9101, language)
    invalid = in_locale(settings, language, lambda: staff_join.invitation_problem("unknown"))
    assert invalid != in_locale(settings, "en", lambda: staff_join.invitation_problem("unknown"))
    for payload in (token[:27], token[:31], token + "x", "abc", "a-b_c" * 3):
        before = len(bot.sent("SendMessage"))
        await chat.send(f"/start {payload}")
        reason, menu = bot.sent("SendMessage")[before:]
        assert reason.text == invalid, payload
        assert "m:assess" in [
            b.callback_data for row in menu.reply_markup.inline_keyboard for b in row
        ]
    assert await support.memberships(session_pool, org_id) == []
