"""Issue 11 in the bot: assumptions on the result, grammatical citations and the verbatim
screen in kk and ru, "does not apply" for "(бар болса)" items, the new facts asked, and the
rule-change notice's button reopening the result."""

from __future__ import annotations

import datetime as dt

from aiogram import Dispatcher
from sqlmodel import col, select

from backend.db import SessionPool
from backend.models import Assessment, Notification
from backend.rules.loader import Ruleset
from backend.rules.notify import KIND, notify_rule_changes
from testing.chat import Chat, user_id_of
from testing.mocked_bot import MockedBot

CATEGORIES = ("pedagog", "pedagog_moderator", "pedagog_expert", "pedagog_researcher")


async def to_teacher_checklists(chat: Chat, language: str) -> None:
    """3.7 subject teacher, higher pedagogical education, 6 years: the checklists come next."""
    await chat.send("/start")
    if language == "kk":
        await chat.press("Қазақша")
        await chat.press("📝")
        await chat.send("мұғалім")
        await chat.press("Барлық мамандықтардың")
        await chat.press("Жоғары")
        await chat.press("Иә")
    else:
        await chat.press("Русский")
        await chat.press("📝")
        await chat.send("учитель")
        await chat.press("Учителя всех специальностей")
        await chat.press("Высшее")
        await chat.press("Да")
    await chat.send("6")


async def test_kazakh_result_has_the_grammatical_citation_and_the_assumptions(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7101, language="kk")
    await to_teacher_checklists(chat, "kk")
    for _category in range(5):
        await chat.press("Барлығын белгілеу")
        await chat.press("✔")  # "Tick all" only ticks; Done submits
    result = chat.last_screen().text
    assert "№338 бұйрық, 3-тарау, 7-параграф, 66, 67-тармақтар" in result
    assert "Болжамдар" in result
    assert "«5 жыл»" in result  # шебер's bare "5 жыл" read as "кемінде 5 жыл"
    shown = len(chat.texts())
    await chat.press("📜")
    verbatim = "\n".join(chat.texts()[shown:])
    assert "№338 бұйрық, 3-тарау, 7-параграф, 66-тармақ:" in verbatim
    assert "№338 бұйрық, 3-тарау, 7-параграф, 67-тармақ:" in verbatim
    assert "жоғары және (немесе) жоғары оқу орнынан кейінгі педагогикалық" in verbatim
    assert "seed" not in verbatim
    assert "казахском" not in verbatim


async def test_russian_result_and_verbatim_screen_say_the_official_text_is_kazakh(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7102)
    await to_teacher_checklists(chat, "ru")
    for _category in range(5):
        await chat.press("Отметить все")
        await chat.press("✔")  # "Tick all" only ticks; Done submits
    result = chat.last_screen().text
    assert "Приказ №338, глава 3, параграф 7, пункты 66, 67" in result
    assert "Допущения" in result
    shown = len(chat.texts())
    await chat.press("📜")
    verbatim = "\n".join(chat.texts()[shown:])
    assert "Официальный текст приказа приводится на казахском языке." in verbatim
    assert "Приказ №338, глава 3, параграф 7, пункт 67:" in verbatim


async def test_if_any_items_can_be_marked_as_not_applying(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7103)
    await to_teacher_checklists(chat, "ru")
    for _category in range(4):
        await chat.press("Отметить все")
        await chat.press("✔")  # "Tick all" only ticks; Done submits
    checklist = chat.last_screen().text  # шебер: items 6 and 9 are "(бар болса)"
    assert "➖" in checklist
    await chat.press("☐ 6")
    await chat.press("☑ 6")
    assert "➖ 6" in [text for text, _ in chat.buttons()]
    await chat.press("☐ 9")
    await chat.press("☑ 9")
    for item in ("1", "2", "3", "4", "5", "7", "8"):
        await chat.press(f"☐ {item}")
    await chat.press("✔")
    assert "Оценка: <b>педагог-мастер</b>" in chat.last_screen().text


async def test_the_reserve_officer_question_is_asked_in_both_languages(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = Chat(dispatcher, bot, user_id=7104)
    await chat.send("/start")
    await chat.press("Русский")
    await chat.press("📝")
    await chat.send("начальной военной подготовки")
    await chat.press("организаций среднего образования")  # 3.8; the label keeps its distinct end
    await chat.press("Техническое и профессиональное")
    assert "офицер запаса" in chat.last_screen().text
    kazakh = Chat(dispatcher, bot, user_id=7105, language="kk")
    await kazakh.send("/start")
    await kazakh.press("Қазақша")
    await kazakh.press("📝")
    await kazakh.send("бастапқы әскери даярлығының педагог-ұйымдастырушысы")
    await kazakh.press("Орта білім беру ұйымдарының бастапқы әскери")
    await kazakh.press("Техникалық және кәсіптік")
    assert "запастағы офицерсіз бе" in kazakh.last_screen().text


async def test_the_rule_change_notice_button_reopens_the_result_under_the_new_rules(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, ruleset: Ruleset
) -> None:
    chat = Chat(dispatcher, bot, user_id=7106)
    await chat.send("/start")
    await chat.press("Русский")
    user_id = await user_id_of(session_pool, chat)
    async with session_pool() as session:
        stored = Assessment(
            user_id=user_id,
            position_id="2.2",  # a rural methodist: urban 5 years under .1, rural 3 under .2
            answers={
                "education": "tvet",
                "locality": "rural",
                "experience": {"organisation_type": 4},
                "competencies": dict.fromkeys(CATEGORIES, "all"),
            },
            outcome={},
            ruleset_version="338-2022.1",
            as_of=dt.date(2026, 11, 22),
        )
        session.add(stored)
        await session.commit()
        assessment_id = stored.id
    assert await notify_rule_changes(session_pool, ruleset) == 1
    async with session_pool() as session:
        notice = (
            await session.exec(select(Notification).where(col(Notification.kind) == KIND))
        ).one()
    button = notice.payload["buttons"][0][0]
    assert button["text"]["ru"] == "Открыть результат"
    await chat.press_data(button["callback_data"])
    result = chat.last_screen().text
    assert "Потолок по образованию и стажу: педагог-исследователь" in result
    async with session_pool() as session:
        versions = (await session.exec(select(Assessment.ruleset_version))).all()
    assert sorted(versions) == ["338-2022.1", ruleset.version]  # stored again under .2
    assert await notify_rule_changes(session_pool, ruleset) == 0  # nothing left to tell
    assert assessment_id is not None
