"""My courses: the optional steps (hours, certificate number and file) and editing a course,
through the real dispatcher with a real database."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from aiogram import Dispatcher
from aiogram.types import Chat as TgChat
from aiogram.types import Document, Message, PhotoSize, Update

from backend.courses import service as courses
from backend.db import SessionPool
from backend.models import CourseRecord, Notification
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.handlers.courses.callbacks import CourseCallback, CourseEditCallback
from testing.chat import Chat, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.courses.helpers import add_course, local, outbox, stored_courses

SKIP = CourseCallback(a="skip").pack()
GONE = "Этого курса больше нет в записях."  # an existing msgid's Russian text
# New msgids are not translated yet: a Russian-speaking user sees their English text.
MB = 1024 * 1024
_ids = itertools.count(900_000)


async def send_file(
    chat: Chat,
    *,
    document: tuple[str, int] | None = None,
    photo: list[tuple[str, int, int]] | None = None,
) -> None:
    """A message with a document (file id, size) or a photo (file id, side, size per size)."""
    message = Message(
        message_id=next(_ids),
        date=dt.datetime.now(dt.UTC),
        chat=TgChat(id=chat.user.id, type="private"),
        from_user=chat.user,
        document=(
            Document(
                file_id=document[0],
                file_unique_id=f"u{document[0]}",
                file_name="certificate.pdf",
                file_size=document[1],
            )
            if document
            else None
        ),
        photo=(
            [
                PhotoSize(
                    file_id=file_id,
                    file_unique_id=f"u{file_id}",
                    width=side,
                    height=side,
                    file_size=size,
                )
                for file_id, side, size in photo
            ]
            if photo
            else None
        ),
    )
    await chat.dispatcher.feed_update(chat.bot, Update(update_id=next(_ids), message=message))


async def only_course(session_pool: SessionPool, user_id: int) -> CourseRecord:
    [course] = await stored_courses(session_pool, user_id)
    return course


def screen_data(chat: Chat) -> list[str]:
    return [data for _, data in chat.buttons()]


async def at_the_hours_step(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, telegram_id: int
) -> tuple[Chat, int]:
    """A chat adding a course, past the required steps (the kind: short) and the topic (skipped);
    and the user's database id."""
    chat = await started_chat(dispatcher, bot, telegram_id)
    user_id = await user_id_of(session_pool, chat)
    await chat.press("📚")
    await chat.press("➕")
    await chat.send("20.04.2024")
    await chat.send("Цифровая грамотность педагога")
    await chat.press("Өрлеу")
    await chat.press("Краткосрочный курс")
    await chat.press_data(SKIP)  # the topic
    return chat, user_id


async def with_a_course(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    telegram_id: int,
    completed_on: dt.date,
    *,
    title: str = "Курс",
) -> tuple[Chat, int, int]:
    """A chat whose user has one recorded course: the chat, the user's id and the course's id."""
    chat = await started_chat(dispatcher, bot, telegram_id)
    user_id = await user_id_of(session_pool, chat)
    course_id = await add_course(session_pool, user_id, completed_on, title=title)
    return chat, user_id, course_id


async def test_adding_a_course_with_hours_number_and_a_document(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    content = b"%PDF-1.4 certificate of Aigul " * 100
    bot.add_file("doc-7201", content)
    chat, user_id = await at_the_hours_step(dispatcher, bot, session_pool, 7201)
    assert SKIP in screen_data(chat)  # the optional steps start after the provider
    assert not await stored_courses(session_pool, user_id)
    await chat.send("72")
    await chat.send("  № 0412-2024 ")
    assert not await stored_courses(session_pool, user_id)
    await send_file(chat, document=("doc-7201", len(content)))
    course = await only_course(session_pool, user_id)
    assert (course.completed_on, course.provider, course.hours) == (
        dt.date(2024, 4, 20),
        "orleu",
        72,
    )
    assert course.certificate_number == "№ 0412-2024"
    assert course.certificate_file_id == "doc-7201"
    assert course.certificate_sha256 == hashlib.sha256(content).hexdigest()
    [get_file] = bot.sent("GetFile")
    assert get_file.file_id == "doc-7201"
    assert "20.04.2027" in chat.last_screen().text  # back on My courses with the due date


async def test_skipping_every_optional_step(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await at_the_hours_step(dispatcher, bot, session_pool, 7202)
    await chat.press_data(SKIP)
    await chat.press_data(SKIP)
    assert not await stored_courses(session_pool, user_id)
    await chat.press_data(SKIP)
    course = await only_course(session_pool, user_id)
    assert (course.hours, course.certificate_number, course.certificate_file_id) == (
        None,
        None,
        None,
    )
    await chat.press_data(SKIP)  # a stale Skip adds nothing
    assert len(await stored_courses(session_pool, user_id)) == 1


async def test_an_oversize_file_is_refused_and_nothing_typed_is_lost(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await at_the_hours_step(dispatcher, bot, session_pool, 7203)
    await chat.send("36")
    await chat.send("A-1")
    await send_file(chat, document=("big-doc", 21 * MB))
    assert not bot.sent("GetFile")  # never downloaded
    assert "20 МБ" in chat.texts()[-2]  # the Russian catalog: the user chose ru
    assert not await stored_courses(session_pool, user_id)
    assert SKIP in screen_data(chat)  # still asking for the file
    small = b"\xff\xd8 a jpeg"
    bot.add_file("photo-big-side", small)
    await send_file(
        chat, photo=[("photo-small-side", 90, 900), ("photo-big-side", 1280, len(small))]
    )
    course = await only_course(session_pool, user_id)
    assert (course.hours, course.certificate_number) == (36, "A-1")
    assert course.certificate_file_id == "photo-big-side"  # the largest size of the photo
    assert course.certificate_sha256 == hashlib.sha256(small).hexdigest()


async def test_free_text_for_the_hours_gives_a_hint_and_keeps_the_step(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await at_the_hours_step(dispatcher, bot, session_pool, 7204)
    question = chat.last_screen().text
    await chat.send("seventy two")
    assert chat.texts()[-2] == "Введите количество часов целым числом, например 72."
    assert chat.last_screen().text == question
    await chat.send("0")
    assert "от 1 до 2000" in chat.texts()[-2]
    await chat.send("5000")
    assert "от 1 до 2000" in chat.texts()[-2]
    assert not await stored_courses(session_pool, user_id)
    await chat.send("48")
    await chat.press_data(SKIP)
    await chat.send("not a file")  # the file step wants a document or a photo
    assert "документом или фото" in chat.texts()[-2]
    await chat.press_data(SKIP)
    course = await only_course(session_pool, user_id)
    assert (course.title, course.hours) == ("Цифровая грамотность педагога", 48)


async def test_editing_each_field_of_a_course(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id, course_id = await with_a_course(
        dispatcher, bot, session_pool, 7205, dt.date(2024, 1, 10), title="Старое название"
    )
    await chat.press("📚")
    await chat.press("📄")  # the course in the list opens its detail screen
    detail = chat.last_screen()
    assert "10.01.2024" in detail.text
    assert "Старое название" in detail.text
    for field in ("date", "title", "prov", "hours", "num", "file"):
        assert CourseEditCallback(id=course_id, f=field).pack() in screen_data(chat)

    async def edit(field: str, value: str) -> None:
        await chat.press_data(CourseEditCallback(id=course_id, f=field).pack())
        await chat.send(value)

    await edit("title", "Новое   название")
    await edit("hours", "80")
    await edit("num", "KZ-777")
    await chat.press_data(CourseEditCallback(id=course_id, f="prov").pack())
    await chat.press_data(CourseEditCallback(id=course_id, f="prov", v="talap").pack())
    await edit("date", "31.02.2024")  # no such day: a hint, nothing changes
    assert (await only_course(session_pool, user_id)).completed_on == dt.date(2024, 1, 10)
    await chat.send("29.02.2024")
    course = await only_course(session_pool, user_id)
    assert (course.title, course.hours, course.certificate_number, course.provider) == (
        "Новое название",
        80,
        "KZ-777",
        "talap",
    )
    assert course.completed_on == dt.date(2024, 2, 29)
    assert "28.02.2027" in chat.last_screen().text  # 29 February: due the last day of February
    content = b"scan"
    bot.add_file("new-scan", content)
    await chat.press_data(CourseEditCallback(id=course_id, f="file").pack())
    await send_file(chat, document=("new-scan", len(content)))
    course = await only_course(session_pool, user_id)
    assert course.certificate_file_id == "new-scan"
    assert course.certificate_sha256 == hashlib.sha256(content).hexdigest()
    await chat.press_data(CourseEditCallback(id=course_id, f="hours", v="-").pack())  # clear
    assert (await only_course(session_pool, user_id)).hours is None
    await chat.send("99")  # no longer editing: typed text changes nothing
    assert (await only_course(session_pool, user_id)).hours is None


async def test_correcting_the_date_moves_the_due_date_and_cancels_waiting_reminders(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
) -> None:
    # completed on 10.05.2023: due 10.05.2026
    chat, user_id, course_id = await with_a_course(
        dispatcher, bot, session_pool, 7206, dt.date(2023, 5, 10)
    )
    # the 30-days reminder is waiting in the outbox (swept at night, to go out in the morning)
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 10, 23)) == 1
    await chat.press_data(CourseCallback(a="show", id=course_id).pack())
    assert "10.05.2026" in chat.last_screen().text
    await chat.press_data(CourseEditCallback(id=course_id, f="date").pack())
    await chat.send("10.06.2023")
    screen = chat.last_screen().text
    assert "10.06.2026" in screen
    assert "10.05.2026" not in screen
    [old] = await outbox(session_pool)
    assert (old.dedupe_key, old.status) == (f"course:{user_id}:2026-05-10:d30", "cancelled")
    # the next sweep works on the new cycle: 60 days left, the 90-days rung
    assert await courses.sweep(session_pool, settings, ruleset, local(2026, 4, 11)) == 1
    new = (await outbox(session_pool))[-1]
    assert (new.dedupe_key, new.status) == (f"course:{user_id}:2026-06-10:d90", "pending")
    pending = [row for row in await outbox(session_pool) if row.status == "pending"]
    assert all(isinstance(row, Notification) and "2026-06-10" in row.dedupe_key for row in pending)


async def test_a_stale_course_button_shows_the_list(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id, course_id = await with_a_course(
        dispatcher, bot, session_pool, 7207, dt.date(2024, 1, 10)
    )
    await chat.press("📚")
    await chat.press("📄")
    await chat.press_data(CourseEditCallback(id=course_id, f="title").pack())
    async with session_pool() as session:  # deleted meanwhile (another device, the API)
        await courses.delete_course(session=session, user_id=user_id, course_id=course_id)
    await chat.send("A new title")
    screen = chat.last_screen()
    assert GONE in screen.text
    assert CourseCallback(a="add").pack() in screen_data(chat)  # the list of My courses
    for data in (
        CourseCallback(a="show", id=course_id).pack(),
        CourseEditCallback(id=course_id, f="hours").pack(),
        CourseEditCallback(id=course_id, f="prov", v="talap").pack(),
        CourseCallback(a="show", id=987_654).pack(),
    ):
        requests = len(bot.session.requests)
        await chat.press_data(data)
        assert len(bot.session.requests) > requests
        assert GONE in chat.last_screen().text
    assert not await stored_courses(session_pool, user_id)
