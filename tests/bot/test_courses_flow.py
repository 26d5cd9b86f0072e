"""My courses and the reminder buttons through the real dispatcher, with a real database."""

from __future__ import annotations

import datetime as dt

from aiogram import Dispatcher
from sqlmodel import select

from backend.courses import service as courses
from backend.courses.validation import format_date
from backend.db import SessionPool
from backend.models import ReminderPreference
from backend.rules import assessments
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.handlers.courses.callbacks import (
    CourseCallback,
    CourseDoneCallback,
    CourseEditCallback,
    KindCallback,
    ProgrammeCallback,
    ProviderCallback,
    ReminderCallback,
)
from testing.chat import callback_data_shown, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.courses.helpers import add_course, stored_courses

DUE = "2027-03-15"


async def preference(session_pool: SessionPool, user_id: int) -> ReminderPreference | None:
    async with session_pool() as session:
        return (
            await session.exec(
                select(ReminderPreference).where(ReminderPreference.user_id == user_id)
            )
        ).first()


def alerts(bot: MockedBot) -> list[str]:
    return [str(r.text) for r in bot.sent("AnswerCallbackQuery") if r.text]


async def test_snooze_button_snoozes_for_seven_days(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7101)
    user_id = await user_id_of(session_pool, chat)
    before = dt.datetime.now(dt.UTC)
    await chat.press_data(f"rem:snooze:{DUE}")
    stored = await preference(session_pool, user_id)
    assert stored is not None
    assert stored.snoozed_until is not None
    assert not stored.stopped
    delta = stored.snoozed_until - before
    assert dt.timedelta(days=7) <= delta < dt.timedelta(days=7, minutes=5)
    assert "7 дней" in alerts(bot)[-1]


async def test_stop_button_stops_and_says_how_to_resume(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7102)
    user_id = await user_id_of(session_pool, chat)
    await chat.press_data(f"rem:stop:{DUE}")
    stored = await preference(session_pool, user_id)
    assert stored is not None
    assert stored.stopped
    assert "Мои курсы" in alerts(bot)[-1]
    # ...and My courses turns them back on
    await chat.press("📚")
    await chat.press("🔔")
    stored = await preference(session_pool, user_id)
    assert stored is not None
    assert not stored.stopped


async def test_done_today_records_a_course_and_shows_the_next_due_date(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
) -> None:
    chat = await started_chat(dispatcher, bot, 7103)
    user_id = await user_id_of(session_pool, chat)
    await chat.press_data(f"rem:done:{DUE}")
    assert not await stored_courses(session_pool, user_id)  # the first tap only asks when
    await chat.press("Сегодня")  # the second tap records it: no title, provider or hours asked
    today = assessments.today_in(settings.tz)
    [course] = await stored_courses(session_pool, user_id)
    assert course.completed_on == today
    assert course.provider == "other"
    assert (course.hours, course.certificate_number, course.certificate_file_id) == (None,) * 3
    assert "Мои курсы" in chat.last_screen().text  # back on My courses, no step left to skip
    assert CourseCallback(a="skip").pack() not in [data for _, data in chat.buttons()]
    due = courses.due_date(today, ruleset.meta.refresher.period_years)
    assert format_date(due) in chat.last_screen().text
    await chat.press_data(CourseDoneCallback(a="today", d=DUE).pack())  # a second tap
    assert len(await stored_courses(session_pool, user_id)) == 1


async def test_the_course_done_by_the_reminder_is_titled_in_the_language_shown(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7110)
    user_id = await user_id_of(session_pool, chat)
    await chat.press_data(f"rem:done:{DUE}")
    await chat.press("Сегодня")  # recorded while the bot speaks Russian
    assert "Курс повышения квалификации" in chat.last_screen().text
    await chat.send("/language")
    await chat.press("Қазақша")
    await chat.send("/courses")
    screen = chat.last_screen().text
    assert "Біліктілікті арттыру курсы" in screen
    assert "Курс повышения квалификации" not in screen
    assert any("Біліктілікті арттыру" in label for label, _ in chat.buttons())
    [course] = await stored_courses(session_pool, user_id)
    assert course.title == "Курс повышения квалификации"  # stored as it was; shown per reader


async def test_done_on_another_date_with_a_bad_then_a_good_date(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7104)
    user_id = await user_id_of(session_pool, chat)
    await chat.press_data(f"rem:done:{DUE}")
    await chat.press("Другая дата")
    question = chat.last_screen().text
    await chat.send("31.02.2024")
    assert "Такой даты нет" in chat.texts()[-2]
    assert chat.last_screen().text == question
    await chat.send("вчера")
    assert "ДД.ММ.ГГГГ" in chat.texts()[-2]
    assert not await stored_courses(session_pool, user_id)
    await chat.send("15.03.2025")
    [course] = await stored_courses(session_pool, user_id)
    assert course.completed_on == dt.date(2025, 3, 15)
    assert "15.03.2028" in chat.last_screen().text


async def test_adding_a_course_through_the_dialog_shows_the_due_date(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7105)
    user_id = await user_id_of(session_pool, chat)
    await chat.press("📚")
    assert "Мои курсы" in chat.last_screen().text
    await chat.press("➕")
    await chat.send("20.04.2024")
    await chat.send("Цифровая грамотность педагога")
    await chat.press("Өрлеу")
    await chat.press("Краткосрочный курс")
    for _ in range(4):  # topic, hours, certificate number, certificate file: optional
        await chat.press_data(CourseCallback(a="skip").pack())
    [course] = await stored_courses(session_pool, user_id)
    assert (course.completed_on, course.provider) == (dt.date(2024, 4, 20), "orleu")
    assert course.title == "Цифровая грамотность педагога"
    screen = chat.last_screen().text
    assert "20.04.2027" in screen
    assert "Цифровая грамотность педагога" in screen


async def test_deleting_a_course_asks_for_confirmation(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7106)
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10))
    await chat.press("📚")
    await chat.press("10.01.2024")  # the course's own screen
    await chat.press("🗑")
    assert "Удалить курс" in chat.last_screen().text
    assert len(await stored_courses(session_pool, user_id)) == 1  # not yet
    await chat.press("Нет")
    assert len(await stored_courses(session_pool, user_id)) == 1
    await chat.press("🗑")
    await chat.press("Да")
    assert not await stored_courses(session_pool, user_id)


async def test_calendar_is_sent_as_an_ics_document(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7107)
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10))
    await chat.press("📚")
    await chat.press("📅")
    [sent] = bot.sent("SendDocument")
    assert sent.chat_id == chat.user.id
    assert sent.document.filename == "sanat-courses.ics"
    assert sent.document.data.startswith(b"BEGIN:VCALENDAR")


async def test_timeline_is_sent_as_a_photo(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7109)
    await chat.press("📚")
    assert not any("🖼" in text for text, _ in chat.buttons())  # no course, no timeline
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10))
    await chat.press_data(CourseCallback(a="open").pack())
    await chat.press("🖼")
    [sent] = bot.sent("SendPhoto")
    assert sent.chat_id == chat.user.id
    assert sent.photo.filename == "timeline.png"
    assert sent.photo.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "10.01.2027" in sent.caption


async def test_every_callback_data_fits_in_64_bytes(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7108)
    user_id = await user_id_of(session_pool, chat)
    await add_course(session_pool, user_id, dt.date(2024, 1, 10), title="Т" * 500)
    await chat.press("📚")
    await chat.press("10.01.2024")
    await chat.press("⬅")
    await chat.press("➕")
    await chat.send("20.04.2024")
    await chat.send("Курс")
    await chat.press_data(f"rem:done:{DUE}")
    seen = callback_data_shown(bot)
    assert any(data.startswith("cs:del:") for data in seen)
    assert any(data.startswith("ce:") for data in seen)
    assert any(data.startswith("cp:") for data in seen)
    assert any(data.startswith("rd:") for data in seen)
    widest = [
        ReminderCallback(a="snooze", d="9999-12-31").pack(),
        CourseDoneCallback(a="other", d="9999-12-31").pack(),
        CourseCallback(a="delok", id=2**63 - 1).pack(),
        CourseEditCallback(id=2**63 - 1, f="hours", v="-").pack(),
        CourseEditCallback(id=2**63 - 1, f="prov", v="orleu").pack(),
        ProviderCallback(p="orleu").pack(),
        KindCallback(k="long_term").pack(),
        ProgrammeCallback(p="p7").pack(),
    ]
    for data in [*seen, *widest]:
        assert len(data.encode("utf-8")) <= 64, data


async def test_cancel_in_the_course_dialog_says_what_was_cancelled(
    dispatcher: Dispatcher, bot: MockedBot
) -> None:
    chat = await started_chat(dispatcher, bot, 9901)
    await chat.press("📚")
    await chat.press("➕")
    await chat.send("/cancel")
    assert "Отменено" in chat.texts()[-2]
    assert "Самооценка" not in chat.texts()[-2]
