"""Adding a course asks what the refresher-course rules describe (Order 266): the kind (short
course, one of the seven long-term programmes of para 26, a course for heads, other), the topic
(para 25: a certificate per course topic) and the provider; the course card shows them. Through
the real dispatcher and database, in Kazakh and Russian, with bad input and stale buttons."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher

from backend.courses.programmes import load_programmes
from backend.courses.validation import MAX_PROVIDER_NAME, MAX_TOPIC
from backend.db import SessionPool
from backend.i18n import translations
from backend.models import CourseRecord
from bot.handlers.courses.callbacks import (
    CourseCallback,
    KindCallback,
    ProgrammeCallback,
    ProviderCallback,
)
from testing.chat import Chat, callback_data_shown, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.courses.helpers import stored_courses

SKIP = CourseCallback(a="skip").pack()
KINDS = {kind: KindCallback(k=kind).pack() for kind in ("short", "long_term", "heads", "other")}


def said(language: str, msgid: str, **params: object) -> str:
    """``msgid`` as the catalog of ``language`` words it (and it must be translated)."""
    text = translations(language).gettext(msgid)
    assert text != msgid, (language, msgid)
    return text.format(**params) if params else text


async def chat_in(dispatcher: Dispatcher, bot: MockedBot, user_id: int, language: str) -> Chat:
    if language == "ru":
        return await started_chat(dispatcher, bot, user_id)
    chat = Chat(dispatcher, bot, user_id=user_id, language="kk")
    await chat.send("/start")
    await chat.press("Қазақша")
    return chat


async def at_the_kind_step(chat: Chat, provider: str = "orleu") -> None:
    """My courses → Add a course, through the date, the title and the provider."""
    await chat.press_data(CourseCallback(a="open").pack())
    await chat.press("➕")
    await chat.send("20.04.2024")
    await chat.send("Жаңартылған білім беру мазмұны")
    await chat.press_data(ProviderCallback(p=provider).pack())


async def only_course(session_pool: SessionPool, chat: Chat) -> CourseRecord:
    [course] = await stored_courses(session_pool, await user_id_of(session_pool, chat))
    return course


async def open_card(chat: Chat, course: CourseRecord) -> str:
    await chat.press_data(CourseCallback(a="show", id=course.id or 0).pack())
    return str(chat.last_screen().text)


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_long_term_programme_with_its_topic_is_stored_and_shown_on_the_card(
    language: str, dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 7301 if language == "kk" else 7302, language)
    await at_the_kind_step(chat)
    kinds_question = chat.last_screen().text
    assert {data for _, data in chat.buttons()} >= set(KINDS.values())
    assert "Order 266" not in kinds_question  # worded by the catalog of the language
    await chat.send("ұзақ")  # typed instead of pressed: asked to use the buttons
    assert chat.texts()[-2] == said(language, "Please choose with the buttons.")
    assert chat.last_screen().text == kinds_question
    await chat.press(said(language, "Long-term programme"))
    programmes = chat.last_screen().text
    catalog = load_programmes()
    for programme in catalog.programmes:  # the seven of para 26, in the reader's language
        assert programme.title(language) in programmes
    assert [t for t, _ in chat.buttons()][:7] == [str(n) for n in range(1, 8)]
    await chat.press("⬅")  # back to the kinds, and forward again
    assert chat.last_screen().text == kinds_question
    await chat.press_data(KINDS["long_term"])
    await chat.press("3")
    assert SKIP in [data for _, data in chat.buttons()]  # the topic, which may be skipped
    assert chat.last_screen().text == said(
        language,
        "Type the course topic as the certificate states it (a certificate is issued per "
        "course topic).",
    )
    await chat.send("  Критериалды   бағалау\nжүйесі ")  # one line, spaces folded
    for _optional in range(3):  # hours, certificate number, certificate file
        await chat.press_data(SKIP)
    course = await only_course(session_pool, chat)
    assert (course.course_kind, course.programme, course.provider) == ("long_term", "p3", "orleu")
    assert course.topic == "Критериалды бағалау жүйесі"
    card = await open_card(chat, course)
    assert said(language, "Kind: {kind}", kind=said(language, "Long-term programme")) in card
    assert f"3) {catalog.programmes[2].title(language)}" in card
    assert "Критериалды бағалау жүйесі" in card
    assert said(language, "Orleu") in card


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_bad_topic_and_provider_name_are_refused_with_a_hint_and_nothing_is_lost(
    language: str, dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 7303 if language == "kk" else 7304, language)
    await at_the_kind_step(chat, provider="other")
    name_question = chat.last_text()
    await chat.send("О" * (MAX_PROVIDER_NAME + 1))  # over-long
    too_long = "That name is too long: please keep it under {limit} characters."
    assert chat.texts()[-2] == said(language, too_long, limit=MAX_PROVIDER_NAME)
    assert chat.last_text() == name_question
    controls = (
        "That text has special (control) characters I cannot keep. Please type it again "
        "with letters, digits and punctuation only."
    )
    await chat.send("Өрлеу\x00филиалы")  # a NUL: PostgreSQL would refuse it
    assert chat.texts()[-2] == said(language, controls)
    await chat.send("«Өрлеу» Алматы филиалы")
    await chat.press(said(language, "Course for heads"))
    topic_question = chat.last_screen().text
    await chat.send("Т" * (MAX_TOPIC + 1))
    too_long_topic = "That topic is too long: please keep it under {limit} characters."
    assert chat.texts()[-2] == said(language, too_long_topic, limit=MAX_TOPIC)
    assert chat.last_screen().text == topic_question
    await chat.send("Мектеп\x1bбасқару")  # an escape
    assert chat.texts()[-2] == said(language, controls)
    await chat.send("\x7f")
    assert chat.texts()[-2] == said(language, controls)
    assert not await stored_courses(session_pool, await user_id_of(session_pool, chat))
    await chat.send("Мектепті басқару")
    await chat.send("72")
    await chat.press_data(SKIP)
    await chat.press_data(SKIP)
    course = await only_course(session_pool, chat)
    assert (course.provider, course.provider_name) == ("other", "«Өрлеу» Алматы филиалы")
    assert (course.course_kind, course.programme, course.topic, course.hours) == (
        "heads",
        None,
        "Мектепті басқару",
        72,
    )
    card = await open_card(chat, course)
    assert said(language, "Kind: {kind}", kind=said(language, "Course for heads")) in card
    assert "«Өрлеу» Алматы филиалы" in card
    assert "Мектепті басқару" in card


async def test_skipping_the_topic_leaves_it_empty_on_the_card(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 7305, "ru")
    await at_the_kind_step(chat, provider="talap")
    await chat.press("Краткосрочный курс")
    for _optional in range(4):  # topic, hours, certificate number, certificate file
        await chat.press_data(SKIP)
    course = await only_course(session_pool, chat)
    assert (course.course_kind, course.programme, course.topic) == ("short", None, None)
    card = await open_card(chat, course)
    assert said("ru", "Kind: {kind}", kind=said("ru", "Short course")) in card
    assert said("ru", "Topic: {topic}", topic=said("ru", "not given")) in card


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_stale_and_forged_kind_and_programme_buttons_change_nothing(
    language: str, dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await chat_in(dispatcher, bot, 7306 if language == "kk" else 7307, language)
    stale = said(language, "This button is from an earlier message. Here is where you are now.")

    def answered() -> list[str]:
        return [str(r.text) for r in bot.sent("AnswerCallbackQuery") if r.text]

    # Before any course is being added: the kind, programme and Back buttons are stale.
    await chat.press("📚")
    for data in (KINDS["short"], ProgrammeCallback(p="p1").pack(), "cs:kinds:0"):
        await chat.press_data(data)
    assert answered().count(stale) == 3
    await at_the_kind_step(chat)
    await chat.press_data(ProgrammeCallback(p="p1").pack())  # a programme before the kind
    await chat.press_data(KindCallback(k="weekend").pack())  # not a kind
    assert answered().count(stale) == 5
    await at_the_kind_step(chat)  # the stale press showed My courses: start again
    await chat.press_data(KINDS["long_term"])
    await chat.press_data(ProgrammeCallback(p="p9").pack())  # not one of the seven
    assert answered().count(stale) == 6
    await at_the_kind_step(chat)
    await chat.press_data(KINDS["long_term"])
    await chat.press_data(ProgrammeCallback(p="p7").pack())
    await chat.press_data(KINDS["short"])  # the kinds message again, at the topic step
    await chat.press_data(ProgrammeCallback(p="p1").pack())
    assert answered().count(stale) == 8
    user_id = await user_id_of(session_pool, chat)
    assert not await stored_courses(session_pool, user_id)
    await at_the_kind_step(chat)
    await chat.press_data(KINDS["other"])
    for _optional in range(4):
        await chat.press_data(SKIP)
    [course] = await stored_courses(session_pool, user_id)
    assert (course.course_kind, course.programme) == ("other", None)
    # After the course is stored, every button of the dialog is stale and adds nothing.
    for data in (KINDS["heads"], ProgrammeCallback(p="p2").pack(), SKIP):
        await chat.press_data(data)
    [course] = await stored_courses(session_pool, user_id)
    assert (course.course_kind, course.programme) == ("other", None)
    for data in callback_data_shown(bot):
        assert len(data.encode()) <= 64, data
