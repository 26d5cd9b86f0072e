"""Rough edges a new user met in the kk and ru walk-through (issue 16), through the real
dispatcher fed real updates; each test names the behaviour it pins down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from aiogram import Dispatcher
from aiogram.types import Sticker, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from backend.db import SessionPool
from backend.settings import Settings
from bot.factory import create_i18n
from bot.handlers.courses.add import title_question
from bot.handlers.courses.callbacks import CourseCallback
from bot.handlers.courses.handlers import date_question
from bot.handlers.staff import join as staff_join
from bot.handlers.steps import step_prompt
from tests.bot import staff_support as support
from tests.bot.chat import Chat, user_id_of
from tests.bot.staff_support import FileBot
from tests.courses.helpers import stored_courses
from tests.factories import private_message_update
from tests.mocked_bot import MockedBot

LANGUAGE_BUTTONS = {"kk": "Қазақша", "ru": "Русский"}
# steps whose message may be any content; they judge a sticker themselves (refuse or take it)
TAKE_ANY_CONTENT = {
    "BroadcastStates:content",
    "BroadcastStates:second",
    "DutyStates:material",
    "StaffStates:upload",
}


def said(dispatcher: Dispatcher, locale: str, text: Callable[[], str]) -> str:
    """What ``text()`` says in ``locale`` with the dispatcher's own catalogs."""
    i18n: I18n = dispatcher["i18n"]
    with i18n.context(), i18n.use_locale(locale):
        return text()


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


# --- /language mid-step, and content a step cannot take ---------------------------------------
def every_step() -> list[str]:
    from bot.handlers.assessment.states import AssessmentStates
    from bot.handlers.broadcasts.states import BroadcastStates
    from bot.handlers.channels.states import ChannelStates, DutyStates
    from bot.handlers.courses.states import CourseStates
    from bot.handlers.menu import MenuStates
    from bot.handlers.staff.states import StaffStates

    groups = (
        AssessmentStates,
        BroadcastStates,
        ChannelStates,
        DutyStates,
        CourseStates,
        MenuStates,
        StaffStates,
    )
    return [s.state for group in groups for s in group.__states__ if s.state is not None]


def sticker_update(chat: Chat) -> Update:
    sticker = Sticker(
        file_id="sticker-1",
        file_unique_id="usticker-1",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )
    return private_message_update(chat.user, sticker=sticker)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_language_change_while_adding_a_course_resumes_the_date_step(
    language: str, dispatcher: Dispatcher, bot: FileBot, session_pool: SessionPool
) -> None:
    other = "ru" if language == "kk" else "kk"
    chat = await chat_in(dispatcher, bot, 9102, other)
    await chat.press_data("m:courses")
    await chat.press("➕")
    await chat.send("/language")
    await chat.press(LANGUAGE_BUTTONS[language])
    # the step goes on, in the new language, and no menu is left over it
    assert chat.last_text() == said(dispatcher, language, lambda: date_question().text)
    assert chat.last_text() != said(dispatcher, other, lambda: date_question().text)
    assert "m:assess" not in [data for _, data in chat.buttons()]
    await chat.send("20.04.2024")  # a date typed now is the date, not the title
    assert chat.last_text() == said(dispatcher, language, lambda: title_question().text)
    await chat.send("Цифровая грамотность")
    await chat.press("Өрлеу")
    for _optional in range(3):
        await chat.press_data(CourseCallback(a="skip").pack())
    [course] = await stored_courses(session_pool, await user_id_of(session_pool, chat))
    assert (course.completed_on, course.title) == (dt.date(2024, 4, 20), "Цифровая грамотность")


@pytest.mark.parametrize("step", every_step())
async def test_every_step_survives_a_language_change_and_answers_a_sticker_with_its_hint(
    step: str, dispatcher: Dispatcher, bot: FileBot
) -> None:
    chat = await chat_in(dispatcher, bot, 9103, "ru")
    context = dispatcher.fsm.get_context(bot, chat_id=chat.user.id, user_id=chat.user.id)
    await context.set_state(step)
    await chat.send("/language")
    await chat.press(LANGUAGE_BUTTONS["kk"])

    def prompt() -> str:
        screen = step_prompt(step)
        assert screen is not None
        return screen.text

    expected = said(dispatcher, "kk", prompt)
    assert expected != said(dispatcher, "ru", prompt)
    if not step.startswith("AssessmentStates"):  # the self-assessment redraws its own question
        assert await context.get_state() == step  # not left active under a menu
        assert chat.last_text() == expected
    before = len(bot.sent("SendMessage"))
    await dispatcher.feed_update(bot, sticker_update(chat))
    replies = [m.text for m in bot.sent("SendMessage")[before:]]
    generic = said(
        dispatcher, "kk", lambda: _("I did not understand that. Use /start for the menu or /help.")
    )
    assert replies, step
    assert generic not in replies, step
    if step not in TAKE_ANY_CONTENT:
        assert replies[-1] == expected
        assert await context.get_state() == step  # still waiting
