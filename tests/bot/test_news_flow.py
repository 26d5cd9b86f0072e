"""News: topic toggles, the region, and the one-tap unsubscribe under a broadcast."""

from __future__ import annotations

from aiogram import Dispatcher
from sqlmodel import select

from backend.broadcasts import topics
from backend.db import SessionPool
from backend.models import TopicSubscription
from testing.chat import Chat, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.bot.broadcast_support import alerts


async def chosen(session_pool: SessionPool, user_id: int) -> dict[str, bool]:
    async with session_pool() as session:
        return await topics.topics_of(session, user_id)


async def region(session_pool: SessionPool, user_id: int) -> str | None:
    async with session_pool() as session:
        return await topics.region_of(session, user_id)


async def person(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, telegram_id: int
) -> tuple[Chat, int]:
    """Someone who started the bot in Russian: their chat and their database id."""
    chat = await started_chat(dispatcher, bot, telegram_id)
    return chat, await user_id_of(session_pool, chat)


async def test_news_shows_every_topic_with_its_default(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8101)
    await chat.send("/news")
    buttons = {data: text for text, data in chat.buttons()}
    assert [d for d in buttons if d.startswith("nt:")] == [
        "nt:news",
        "nt:courses",
        "nt:attestation",
        "nt:contests",
        "nt:jobs",
    ]
    assert buttons["nt:news"].startswith("✅")
    assert buttons["nt:contests"].startswith("▫️")


async def test_topic_toggles_persist(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await person(dispatcher, bot, session_pool, 8102)
    await chat.send("/news")
    await chat.press_data("nt:contests")
    await chat.press_data("nt:news")
    state = await chosen(session_pool, user_id)
    assert state["contests"] is True
    assert state["news"] is False
    assert state["courses"] is True  # untouched: still the default
    buttons = {data: text for text, data in chat.buttons()}
    assert buttons["nt:contests"].startswith("✅")
    assert buttons["nt:news"].startswith("▫️")
    await chat.press_data("nt:news")  # and back
    assert (await chosen(session_pool, user_id))["news"] is True


async def test_region_is_chosen_from_the_list_and_forged_codes_change_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await person(dispatcher, bot, session_pool, 8103)
    await chat.send("/news")
    await chat.press_data("nrp:0")
    first_page = [data for _, data in chat.buttons() if data.startswith("nr:")]
    assert len(first_page) == 9  # 8 regions and "no region"
    await chat.press_data("nrp:2")
    last_page = [data for _, data in chat.buttons() if data.startswith("nr:")]
    assert "nr:shymkent" in last_page
    await chat.press_data("nr:shymkent")
    assert await region(session_pool, user_id) == "shymkent"
    await chat.press_data("nr:atlantis")
    assert await region(session_pool, user_id) == "shymkent"
    await chat.press_data("nr:-")
    assert await region(session_pool, user_id) is None


async def test_unsubscribe_button_leaves_the_topic_in_one_tap_and_undo_restores(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await person(dispatcher, bot, session_pool, 8104)
    await chat.press_data("unsub:news")
    assert (await chosen(session_pool, user_id))["news"] is False
    assert any("Новости" in text or "News" in text for text in alerts(bot))
    buttons = [data for _, data in chat.buttons()]
    assert "nre:news" in buttons  # undo
    assert "m:news" in buttons  # open News
    await chat.press_data("nre:news")
    assert (await chosen(session_pool, user_id))["news"] is True


async def test_forged_unsubscribe_topic_changes_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, user_id = await person(dispatcher, bot, session_pool, 8105)
    before = len(bot.session.requests)
    await chat.press_data("unsub:everything")
    await chat.press_data("nt:everything")
    async with session_pool() as session:
        rows = (
            await session.exec(
                select(TopicSubscription).where(TopicSubscription.user_id == user_id)
            )
        ).all()
    assert rows == []
    assert len(alerts(bot)) >= 1
    assert len(bot.session.requests) > before  # answered politely, not silently
