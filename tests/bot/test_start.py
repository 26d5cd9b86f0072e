from __future__ import annotations

from aiogram import Dispatcher
from sqlmodel import select

from backend.db import SessionPool
from backend.models import User
from testing.mocked_bot import MockedBot
from testing.updates import callback_update, message_update, tg_user


async def test_first_start_asks_for_the_language(dispatcher: Dispatcher, bot: MockedBot) -> None:
    await dispatcher.feed_update(bot, message_update("/start"))
    [sent] = bot.sent("SendMessage")
    assert "Тілді таңдаңыз" in sent.text
    assert "Выберите язык" in sent.text
    buttons = [b for row in sent.reply_markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["Қазақша", "Русский"]
    assert all(len(b.callback_data.encode()) <= 64 for b in buttons)


async def test_choosing_kazakh_is_stored_and_used(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    user = tg_user(2002, language_code="ru")
    await dispatcher.feed_update(bot, message_update("/start", user))
    await dispatcher.feed_update(bot, callback_update("lang:kk", user))
    [edited] = bot.sent("EditMessageText")
    assert edited.text == "Тіл: Қазақша"
    assert bot.sent("SendMessage")[-1].text == "Не істегіңіз келеді?"  # the menu, in Kazakh
    async with session_pool() as session:
        stored = (await session.exec(select(User).where(User.telegram_id == 2002))).one()
    assert stored.language == "kk"
    # a later message is answered in Kazakh although the Telegram client says ru
    await dispatcher.feed_update(bot, message_update("/nonsense", user))
    assert (
        bot.sent("SendMessage")[-1].text
        == "Белгісіз команда. Мәзір үшін /start немесе /help басыңыз."
    )


async def test_free_text_and_unknown_commands_get_a_localized_hint(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    user = tg_user(3003, language_code="ru")
    await dispatcher.feed_update(bot, message_update("привет", user))
    await dispatcher.feed_update(bot, message_update("/whatever", user))
    texts = [m.text for m in bot.sent("SendMessage")]
    assert texts == [
        "Не понял сообщение. Нажмите /start, чтобы открыть меню, или /help.",
        "Неизвестная команда. Нажмите /start, чтобы открыть меню, или /help.",
    ]


async def test_a_stale_button_gets_an_alert_not_silence(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    await dispatcher.feed_update(bot, callback_update("gone:1:2", tg_user(4004, "kk")))
    [answer] = bot.sent("AnswerCallbackQuery")
    assert answer.show_alert is True
    assert answer.text == "Бұл түйме ескірген. Жалғастыру үшін /start басыңыз."


async def test_help_states_it_is_an_estimate(dispatcher: Dispatcher, bot: MockedBot) -> None:
    await dispatcher.feed_update(bot, message_update("/help", tg_user(5005, "ru")))
    assert "не решение аттестационной комиссии" in bot.sent("SendMessage")[0].text
