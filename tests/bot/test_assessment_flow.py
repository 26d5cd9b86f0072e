"""A whole self-assessment through the real dispatcher, with a real database."""

from __future__ import annotations

from aiogram import Dispatcher
from sqlmodel import select

from backend.db import SessionPool
from backend.models import Assessment, TeacherProfile
from testing.chat import Chat
from testing.mocked_bot import MockedBot


async def open_assessment(chat: Chat, language: str = "Русский") -> None:
    await chat.send("/start")
    await chat.press(language)
    await chat.press("📝")


async def tick_all_and_submit(chat: Chat) -> None:
    """ "Tick all" only ticks every box; Done submits the checklist."""
    await chat.press("Отметить все")
    await chat.press("✔")


async def to_years_question(chat: Chat) -> None:
    """Subject teacher (3.7) with higher pedagogical education: the years question is next."""
    await open_assessment(chat)
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    await chat.press("Высшее")
    await chat.press("Да")


async def test_full_assessment_in_russian(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = Chat(dispatcher, bot)
    await open_assessment(chat)
    await chat.press("Начальное, основное среднее")  # the school kind
    await chat.press("Учителя всех специальностей")  # 3.7
    assert "Шаг 1 из примерно" in chat.last_screen().text
    await chat.press("Высшее")
    await chat.press("Да")  # pedagogical education
    await chat.send("5,5 лет")
    for _category in range(5):
        await tick_all_and_submit(chat)
    result = chat.last_screen().text
    assert "Оценка: <b>педагог-мастер</b>" in result
    assert "не решение аттестационной комиссии" in result
    assert "пункты 66" in result
    async with session_pool() as session:
        stored = (await session.exec(select(Assessment))).one()
    assert stored.position_id == "3.7"
    assert stored.answers["experience"] == {"pedagogical": 5.5}
    assert stored.ruleset_version == stored.outcome["ruleset_version"]
    await chat.press("💾")
    async with session_pool() as session:
        profile = (await session.exec(select(TeacherProfile))).one()
    assert profile.position_id == "3.7"


async def test_bad_years_get_a_hint_and_the_same_question(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7002)
    await open_assessment(chat)
    await chat.send("учитель")  # free-text search instead of the list
    await chat.press("Учителя всех специальностей")
    await chat.press("Высшее")
    await chat.press("Да")
    question = chat.last_screen().text
    await chat.send("пять")
    assert "Введите число лет" in chat.texts()[-2]
    assert chat.last_screen().text == question
    await chat.send("75")
    assert "больше лет, чем длится трудовая жизнь" in chat.texts()[-2]
    await chat.send("5 жыл")
    assert "Требования" in chat.last_screen().text  # the competency checklist came next


async def test_back_returns_to_the_question_actually_seen(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7003)
    await open_assessment(chat)
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    await chat.press("Высшее")
    await chat.press("Нет")  # not pedagogical: the retraining question follows
    assert "переподготовке" in chat.last_screen().text
    await chat.press("⬅")
    assert "педагогическое" in chat.last_screen().text
    await chat.press("Да")
    assert "Сколько лет" in chat.last_screen().text  # retraining no longer asked


async def test_review_changes_one_answer_and_keeps_the_others(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7004)
    await to_years_question(chat)
    await chat.send("3")
    await chat.press("📋")
    review = chat.last_screen().text
    assert "3 года" in review
    await chat.press("✎ 3")
    await chat.send("4")
    await chat.press("📋")
    review = chat.last_screen().text
    assert "4 года" in review
    assert "Высшее" in review


async def test_checklist_toggles_and_done(dispatcher: Dispatcher, bot: MockedBot) -> None:
    chat = Chat(dispatcher, bot, user_id=7005)
    await to_years_question(chat)
    await chat.send("1")
    await chat.press("☐ 1")
    assert "☑ 1" in [text for text, _ in chat.buttons()]
    await chat.press("☐ 2")
    await chat.press("☑ 1")  # untick
    await chat.press("✔")
    result = chat.last_screen().text
    assert "Оценка: <b>пока нет</b>" in result  # педагог needs all six items; two are not ticked
    assert "не отмечены" in result


async def test_stale_button_gets_an_alert_and_the_current_step(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7006)
    await open_assessment(chat)
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    old_education_buttons = chat.buttons()
    await chat.press("Высшее")
    higher = next(data for text, data in old_education_buttons if "Высшее" in text)
    await chat.press_data(higher)  # the same button again: its step is gone
    answer = bot.sent("AnswerCallbackQuery")[-1]
    assert answer.show_alert is True
    assert "из более раннего сообщения" in answer.text
    assert "педагогическое" in chat.last_screen().text  # the current question, shown anew


async def test_start_mid_dialog_offers_to_continue(dispatcher: Dispatcher, bot: MockedBot) -> None:
    chat = Chat(dispatcher, bot, user_id=7007)
    await open_assessment(chat)
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    await chat.send("/start")
    assert "незавершённая самооценка" in chat.last_screen().text
    await chat.press("Продолжить")
    assert "Какое у вас образование?" in chat.last_screen().text


async def test_language_change_mid_dialog_reshows_the_step_in_kazakh(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7008)
    await open_assessment(chat)
    await chat.send("учитель")
    await chat.press("Учителя всех специальностей")
    await chat.send("/language")
    await chat.press("Қазақша")
    assert "Біліміңіз қандай?" in chat.last_screen().text


async def test_cancel_leaves_the_dialog(dispatcher: Dispatcher, bot: MockedBot) -> None:
    chat = Chat(dispatcher, bot, user_id=7009)
    await open_assessment(chat)
    await chat.send("/cancel")
    assert "Самооценка отменена" in chat.texts()[-2]
    await chat.send("/cancel")
    assert chat.last_text() == "Отменять нечего."


async def test_rerun_from_saved_answers_without_retyping(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7010)
    await to_years_question(chat)
    await chat.send("3")
    for _ in range(3):
        await tick_all_and_submit(chat)
    assert "Оценка:" in chat.last_screen().text
    await chat.press("💾")
    await chat.press("🔁")  # a new assessment
    await chat.press("Взять сохранённые ответы")
    review = chat.last_screen().text
    assert "3 года" in review
    assert "Высшее" in review
    await chat.press("▶")
    assert "Оценка: <b>педагог-эксперт</b>" in chat.last_screen().text


async def test_delete_my_data_forgets_everything(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = Chat(dispatcher, bot, user_id=7011)
    await to_years_question(chat)
    await chat.send("2")
    for _ in range(2):
        await tick_all_and_submit(chat)
    await chat.press("💾")
    await chat.press("🏠")
    await chat.press("🗑")
    await chat.press("Да, удалить всё")
    assert "Sanat больше не хранит" in chat.last_text()
    async with session_pool() as session:
        assert (await session.exec(select(Assessment))).all() == []
        assert (await session.exec(select(TeacherProfile))).all() == []
