"""The one outbox API (enqueue, enqueue_from_select, enqueue_latest) on SQLite and PostgreSQL,
and the progress-message edit it carries through the real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Integer, String, literal, select
from sqlmodel import col
from sqlmodel import select as sm_select

from backend.db import SessionPool
from backend.delivery import DefaultRenderer, DeliveryWorker, RenderError
from backend.delivery.enqueue import enqueue, enqueue_from_select, enqueue_latest, to_user
from backend.models import Notification, User
from backend.models.types import UTCDateTime
from backend.settings import DeliverySettings
from testing.mocked_bot import MockedBot

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
PAYLOAD_TYPE = Notification.__table__.c.payload.type  # type: ignore[attr-defined]


async def users(pool: SessionPool, count: int) -> list[User]:
    people = [User(telegram_id=70_000 + i, language="ru") for i in range(count)]
    async with pool() as session:
        session.add_all(people)
        await session.commit()
    return people


async def stored(pool: SessionPool) -> list[Notification]:
    async with pool() as session:
        rows = await session.exec(sm_select(Notification).order_by(col(Notification.id)))
        return list(rows.all())


async def test_enqueue_is_idempotent_by_dedupe_key_across_chunks(
    session_pool: SessionPool,
) -> None:
    people = await users(session_pool, 200)  # more rows than one INSERT carries
    rows = [to_user(u, "test", f"t:{u.id}", {"text": {"ru": "привет"}}) for u in people]
    async with session_pool() as session:
        assert await enqueue(session, rows, now=NOW) == 200
        assert await enqueue(session, rows[:150], now=NOW) == 0  # already there: nothing
        await session.commit()
    found = await stored(session_pool)
    assert len(found) == 200
    assert {(n.status, n.attempts, n.next_attempt_at) for n in found} == {("pending", 0, NOW)}
    assert found[0].chat_id == people[0].telegram_id


async def test_enqueue_from_select_inserts_many_once(session_pool: SessionPool) -> None:
    await users(session_pool, 5)
    user = User.__table__.c  # type: ignore[attr-defined]
    query = select(
        user.id,
        user.telegram_id,
        literal(None, Integer()),
        literal("test", String()),
        literal("sel:", String()) + user.id.cast(String()),
        literal({"text": {"ru": "x"}}, PAYLOAD_TYPE),
        literal("pending", String()),
        literal(0, Integer()),
        literal(NOW, UTCDateTime()),
        literal(NOW, UTCDateTime()),
    )
    async with session_pool() as session:
        assert await enqueue_from_select(session, query) == 5
        assert await enqueue_from_select(session, query) == 0
        await session.commit()
    found = await stored(session_pool)
    assert sorted(n.dedupe_key for n in found) == sorted(f"sel:{n.user_id}" for n in found)
    assert all(n.payload == {"text": {"ru": "x"}} for n in found)


async def test_enqueue_latest_coalesces_and_leaves_a_send_in_flight_alone(
    session_pool: SessionPool,
) -> None:
    [curator] = await users(session_pool, 1)

    def edit(text: str) -> dict[str, object]:
        return to_user(
            curator, "edit", "bc:1:progress", {"edit": {"message_id": 9}, "text": {"ru": text}}
        )

    async with session_pool() as session:
        assert await enqueue_latest(session, edit("one"), now=NOW)
        assert await enqueue_latest(session, edit("two"), now=NOW)  # replaces the waiting one
        await session.commit()
    [row] = await stored(session_pool)
    assert (row.status, row.payload["text"]) == ("pending", {"ru": "two"})
    async with session_pool() as session:
        claimed = await session.get(Notification, row.id)
        assert claimed is not None
        claimed.status = "sending"
        await session.commit()
        assert not await enqueue_latest(session, edit("three"), now=NOW)
        await session.commit()
    [row] = await stored(session_pool)
    assert (row.status, row.payload["text"]) == ("sending", {"ru": "two"})
    async with session_pool() as session:
        sent = await session.get(Notification, row.id)
        assert sent is not None
        sent.status, sent.attempts = "sent", 1
        await session.commit()
        later = NOW + dt.timedelta(seconds=5)
        assert await enqueue_latest(session, edit("four"), now=later)  # sent: queued again
        await session.commit()
    [row] = await stored(session_pool)
    assert (row.status, row.attempts, row.payload["text"]) == ("pending", 0, {"ru": "four"})
    assert row.next_attempt_at == later


async def test_an_edit_row_edits_the_message_through_the_worker(session_pool: SessionPool) -> None:
    [curator] = await users(session_pool, 1)
    buttons = [[{"text": {"ru": "Пауза", "kk": "Кідірту"}, "callback_data": "bc:p:1"}]]
    payload = {"edit": {"message_id": 77}, "text": {"ru": "11 из 20"}, "buttons": buttons}
    async with session_pool() as session:
        await enqueue_latest(
            session, to_user(curator, "broadcast_progress", "bc:1:progress", payload), now=NOW
        )
        await session.commit()
    bot = MockedBot()
    worker = DeliveryWorker(
        settings=DeliverySettings(), session_pool=session_pool, bot=bot, now=lambda: NOW
    )
    assert await worker.run_once() == 1
    [edit] = bot.sent("EditMessageText")
    assert (edit.chat_id, edit.message_id, edit.text) == (curator.telegram_id, 77, "11 из 20")
    assert edit.reply_markup.inline_keyboard[0][0].text == "Пауза"
    assert bot.sent("SendMessage") == []
    [row] = await stored(session_pool)
    assert row.status == "sent"


def test_old_format_rows_still_render() -> None:
    """Rows queued before message keys (a text per language) keep sending as they were."""
    old = Notification(
        id=1,
        chat_id=1,
        kind="course_reminder",
        dedupe_key="course:1:2026-05-10:30",
        payload={"text": {"kk": "Курс kk", "ru": "Курс ru"}, "due": "2026-05-10"},
    )
    renderer = DefaultRenderer()
    assert renderer.render(old, "kk").text == "Курс kk"
    assert renderer.render(old, "en").text == "Курс ru"  # no English: the Russian one


async def test_a_message_key_is_translated_into_the_language_the_recipient_has_when_sent(
    session_pool: SessionPool,
) -> None:
    [teacher] = await users(session_pool, 1)  # Russian when enqueued
    payload = {
        "message_key": "{years} year",
        "plural_key": "{years} years",
        "params": {"count": 5, "years": 5},
    }
    async with session_pool() as session:
        assert await enqueue(session, [to_user(teacher, "test", "key:1", payload)], now=NOW)
        await session.commit()
        stored_user = await session.get(User, teacher.id)
        assert stored_user is not None
        stored_user.language = "kk"  # switched before the worker got to it
        await session.commit()
    bot = MockedBot()
    worker = DeliveryWorker(
        settings=DeliverySettings(), session_pool=session_pool, bot=bot, now=lambda: NOW
    )
    assert await worker.run_once() == 1
    assert [m.text for m in bot.sent("SendMessage")] == ["5 жыл"]


def test_message_keys_render_per_language_with_plurals() -> None:
    def row(payload: dict[str, object]) -> Notification:
        return Notification(id=1, chat_id=1, kind="test", dedupe_key="k", payload=payload)

    plural = row(
        {
            "message_key": "{years} year",
            "plural_key": "{years} years",
            "params": {"count": 5, "years": 5},
        }
    )
    renderer = DefaultRenderer()
    assert renderer.render(plural, "ru").text == "5 лет"
    assert renderer.render(plural, "kk").text == "5 жыл"
    assert renderer.render(plural, "en").text == "5 years"
    with pytest.raises(RenderError):  # a plural without its count cannot be chosen
        renderer.render(row({"message_key": "{years} year", "plural_key": "{years} years"}), "ru")
