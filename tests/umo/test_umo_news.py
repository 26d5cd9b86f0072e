"""UMO news end to end: university lecturers pick their training direction, a curator composes a
broadcast on that UMO's topic in the bot, the delivery worker sends it, and only the lecturer of
that direction gets it; News shows and toggles the UMO topic. Real dispatcher, real database
(SQLite and PostgreSQL), the real delivery worker with MockedBot at the edge."""

from __future__ import annotations

import datetime as dt

from aiogram import Dispatcher

from backend.broadcasts import topics
from backend.curators import Scope
from backend.db import SessionPool
from backend.models.types import utcnow
from testing.chat import Chat, callback_data_shown, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.bot.broadcast_support import alerts, broadcasts_of, make_curator, outbox_of
from tests.broadcasts.helpers import deliver


async def kazakh_chat(dispatcher: Dispatcher, bot: MockedBot, user_id: int) -> Chat:
    chat = Chat(dispatcher, bot, user_id=user_id, language="kk")
    await chat.send("/start")
    await chat.press("Қазақша")
    return chat


async def pick_direction(chat: Chat, label: str, code: str) -> None:
    await chat.send("/university")
    await chat.press(label)
    await chat.press(code)


def sent_to(bot: MockedBot, chat_id: int) -> list[str]:
    return [str(r.text) for r in bot.sent("SendMessage") if r.chat_id == chat_id]


async def test_a_curator_broadcasts_to_a_umo_and_only_its_lecturers_receive_it(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    lecturer = await started_chat(dispatcher, bot, 7711)  # Russian
    await pick_direction(lecturer, "Моё направление подготовки", "011")
    other = await kazakh_chat(dispatcher, bot, 7712)  # another direction, in Kazakh
    await pick_direction(other, "бағыт", "014")
    bystander = await started_chat(dispatcher, bot, 7713)  # never picked a direction
    curator = await started_chat(dispatcher, bot, 7714)
    await make_curator(session_pool, curator, Scope())

    # Each lecturer sees their own UMO on the News screen, ticked; the bystander sees none.
    await lecturer.send("/news")
    assert ("✅ УМО по направлению 011", "nt:umo.011") in lecturer.buttons()
    assert not any("umo" in data for _, data in lecturer.buttons() if "011" not in data)
    await other.send("/news")
    assert ("✅ ОӘБ 014", "nt:umo.014") in other.buttons()
    await bystander.send("/news")
    assert not any("umo" in data for _, data in bystander.buttons())

    # The curator picks the UMO topic from the paged list (ids only in the buttons).
    await curator.send("/broadcast")
    await curator.send("Семинар УМО для {name}")
    await curator.press_data("bk:skip:")
    await curator.press("УМО")
    assert ("bk:umo:011") in [data for _, data in curator.buttons()]
    await curator.press_data("bk:umo:999")  # forged direction: refused, nothing chosen
    assert alerts(bot)
    await curator.press("▶")
    await curator.press("◀")
    await curator.press("011")
    assert "УМО по направлению 011" in curator.last_screen().text  # the audience screen
    await curator.press_data("bk:preview:")
    assert curator.last_screen().text.endswith(": 1.")  # the 011 lecturer only
    assert "unsub:umo.011" in callback_data_shown(bot)  # the preview's unsubscribe button
    await curator.press_data("bk:send:")
    [broadcast] = await broadcasts_of(session_pool)
    assert broadcast.topic == "umo:011"
    assert broadcast.id is not None
    lecturer_id = await user_id_of(session_pool, lecturer)
    assert [row.user_id for row in await outbox_of(session_pool, broadcast.id)] == [lecturer_id]

    assert await deliver(session_pool, bot, utcnow() + dt.timedelta(seconds=5)) >= 1
    [received] = [t for t in sent_to(bot, lecturer.user.id) if "Семинар УМО" in t]
    assert "Айгүл" in received  # {name} filled in
    assert not [t for t in sent_to(bot, other.user.id) if "Семинар УМО" in t]
    assert not [t for t in sent_to(bot, bystander.user.id) if "Семинар УМО" in t]
    [delivered] = [
        r for r in bot.sent("SendMessage") if r.chat_id == lecturer.user.id and r.reply_markup
    ][-1:]
    [[button]] = delivered.reply_markup.inline_keyboard
    assert button.callback_data == "unsub:umo.011"
    assert "УМО по направлению 011" in button.text

    # One tap under the broadcast leaves the UMO topic; News still shows it, unticked.
    await lecturer.press_data(button.callback_data)
    async with session_pool() as session:
        assert (await topics.topics_with_umo(session, lecturer_id))["umo:011"] is False
        assert await topics.chosen_umo_direction(session, lecturer_id) == "011"
    await lecturer.send("/news")
    assert ("▫️ УМО по направлению 011", "nt:umo.011") in lecturer.buttons()
    await lecturer.press_data("nt:umo.011")  # and back on from News
    assert ("✅ УМО по направлению 011", "nt:umo.011") in lecturer.buttons()


async def test_forged_umo_buttons_change_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 7721)
    await pick_direction(chat, "Моё направление подготовки", "011")
    user_id = await user_id_of(session_pool, chat)
    for forged in ("nt:umo.014", "unsub:umo.014", "nre:umo.014", "nt:umo.999", "unsub:umo.999"):
        await chat.press_data(forged)
    async with session_pool() as session:
        assert await topics.topics_with_umo(session, user_id) == {
            **await topics.topics_of(session, user_id),
            "umo:011": True,
        }
        assert await topics.chosen_umo_direction(session, user_id) == "011"
    # Picking another direction moves the UMO news there (the earlier one is dropped).
    await pick_direction(chat, "Моё направление подготовки", "014")
    async with session_pool() as session:
        chosen = await topics.topics_with_umo(session, user_id)
    assert chosen["umo:014"] is True
    assert "umo:011" not in chosen
    # A curator's compose: a UMO step before the message, or after the dialog, does nothing.
    await make_curator(session_pool, chat, Scope())
    await chat.press_data("bk:umo:011")
    assert await broadcasts_of(session_pool) == []


async def test_a_regional_curator_reaches_the_umo_lecturers_of_their_region_only(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    near = await started_chat(dispatcher, bot, 7731)
    far = await started_chat(dispatcher, bot, 7732)
    for chat, region in ((near, "almaty"), (far, "astana")):
        await pick_direction(chat, "Моё направление подготовки", "011")
        async with session_pool() as session:
            await topics.set_region(session, await user_id_of(session_pool, chat), region)
    curator = await started_chat(dispatcher, bot, 7733)
    await make_curator(session_pool, curator, Scope(kind="region", regions=("almaty",)))
    await curator.send("/broadcast")
    await curator.send("Жаңалық")
    await curator.press_data("bk:skip:")
    await curator.press_data("bk:umos:")
    await curator.press_data("bk:umo:011")
    await curator.press_data("bk:preview:")
    assert curator.last_screen().text.endswith(": 1.")
