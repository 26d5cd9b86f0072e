"""The progress message: its text and buttons, and the ticker keeping it current."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from backend.broadcasts import service as broadcasts
from backend.broadcasts import ticker as broadcast_ticker
from backend.broadcasts.service import Audience, OutOfScopeError, Progress
from backend.broadcasts.texts import progress_keyboard, progress_text
from backend.curators import Scope
from backend.db import SessionPool
from backend.models import Channel, Notification, Organisation
from testing.mocked_bot import MockedBot
from tests.broadcasts.helpers import TEXT, admin, curator, deliver, organisation, person
from tests.rendering import rendered

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def progress(status: str, remaining: int = 3) -> Progress:
    return Progress(
        broadcast_id=7,
        status=status,
        total=10,
        sent=4,
        failed=1,
        blocked=2,
        cancelled=0,
        remaining=remaining,
        eta_seconds=90.0,
    )


def callbacks(keyboard: dict[str, object]) -> list[str]:
    rows = keyboard["inline_keyboard"]
    assert isinstance(rows, list)
    return [button["callback_data"] for row in rows for button in row]


def test_text_shows_counts_and_eta_in_the_readers_language() -> None:
    text = progress_text(progress("running"), "en")
    for line in ("Broadcast #7", "Sent: 4", "Failed: 1", "Blocked the bot: 2", "Remaining: 3"):
        assert line in text
    assert "About 2 min left" in text
    assert "Рассылка №7" in progress_text(progress("running"), "ru")
    assert "Тарату №7" in progress_text(progress("running"), "kk")
    assert "min left" not in progress_text(progress("done", remaining=0), "en")


def test_keyboard_offers_what_fits_the_status() -> None:
    assert callbacks(progress_keyboard(progress("running"), "ru")) == ["bc:p:7", "bc:x:7"]
    assert callbacks(progress_keyboard(progress("paused"), "ru")) == ["bc:r:7", "bc:x:7"]
    assert callbacks(progress_keyboard(progress("done"), "kk")) == ["bc:csv:7"]
    assert callbacks(progress_keyboard(progress("cancelled"), "en")) == ["bc:csv:7"]
    for data in callbacks(progress_keyboard(progress("running"), "kk")):
        assert len(data.encode()) <= 64


async def sending_with_progress_message(pool: SessionPool, actor: int) -> int:
    """A broadcast to everyone, started, whose progress message is message 77 in chat 555."""
    async with pool() as session:
        draft = await broadcasts.create_draft(
            session=session, actor_id=actor, content=TEXT, topic="news", audience=Audience()
        )
        assert draft.id is not None
        await broadcasts.start(session=session, actor_id=actor, broadcast_id=draft.id)
        await broadcasts.set_progress_message(
            session=session, broadcast_id=draft.id, chat_id=555, message_id=77
        )
        return draft.id


async def test_tick_edits_the_progress_message(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    await person(session_pool)
    bid = await sending_with_progress_message(session_pool, boss)
    bot = MockedBot()
    await broadcast_ticker.tick(session_pool, NOW)
    # Edits go through the outbox and its worker; the broadcast itself (due at the real time
    # it started, after NOW) stays queued.
    await deliver(session_pool, bot, NOW)
    [edit] = bot.sent("EditMessageText")
    assert (edit.chat_id, edit.message_id) == (555, 77)
    assert "Получателей: 2" in edit.text  # the admin has no language: Russian
    assert [b.callback_data for b in edit.reply_markup.inline_keyboard[0]] == [
        f"bc:p:{bid}",
        f"bc:x:{bid}",
    ]


async def test_channel_post_is_one_row_to_the_channel(session_pool: SessionPool) -> None:
    mine = await organisation(session_pool, "abai")
    theirs = await organisation(session_pool, "abai")
    await person(session_pool, org=mine)
    local = await curator(session_pool, Scope(kind="orgs", organisation_ids=(mine,)))
    async with session_pool() as session:
        ours = Channel(chat_id=-100123, title="Колледж жаңалықтары", kind="channel")
        other = Channel(chat_id=-100456, title="Басқа", kind="channel")
        ours.organisation_id, other.organisation_id = mine, theirs
        session.add_all([ours, other])
        await session.commit()
        assert await session.get(Organisation, mine) is not None
        ours_id, other_id = ours.id, other.id
    copy = {"ru": {"type": "copy", "from_chat_id": -100999, "message_id": 5}}
    async with session_pool() as session:
        with pytest.raises(OutOfScopeError):
            await broadcasts.create_draft(
                session=session,
                actor_id=local,
                content=copy,
                topic="news",
                audience=Audience(),
                channel_id=other_id,
            )
        draft = await broadcasts.create_draft(
            session=session,
            actor_id=local,
            content=copy,
            topic="news",
            audience=Audience(),
            channel_id=ours_id,
        )
        assert draft.id is not None
        started = await broadcasts.start(session=session, actor_id=local, broadcast_id=draft.id)
        assert started.recipient_count == 1
        [row] = (
            await session.exec(
                select(Notification).where(col(Notification.broadcast_id) == draft.id)
            )
        ).all()
    assert (row.user_id, row.chat_id) == (None, -100123)
    assert row.dedupe_key == f"bc:{draft.id}:chat:-100123"
    assert row.payload["message"] == copy
    assert "buttons" not in row.payload


async def test_tick_keeps_a_stopped_broadcast_stopped_and_reports_a_cancel(
    session_pool: SessionPool,
) -> None:
    boss = await admin(session_pool)
    reader = await person(session_pool)
    bid = await sending_with_progress_message(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)
        # The worker hands back a retry after the pause: it must not go out.
        row = (
            await session.exec(
                select(Notification).where(col(Notification.dedupe_key) == f"bc:{bid}:{reader}")
            )
        ).one()
        row.status = "pending"
        await session.commit()
    await broadcast_ticker.tick(session_pool, NOW)
    async with session_pool() as session:
        statuses = (
            await session.exec(
                select(Notification.status).where(col(Notification.broadcast_id) == bid)
            )
        ).all()
        assert set(statuses) == {"held"}
        await broadcasts.cancel(session=session, actor_id=boss, broadcast_id=bid)
    bot = MockedBot()
    later = dt.datetime.now(dt.UTC)
    await broadcast_ticker.tick(session_pool, later)
    await broadcast_ticker.tick(session_pool, later + dt.timedelta(seconds=5))
    await deliver(session_pool, bot, later + dt.timedelta(seconds=5))
    # One final edit (the CSV button only) and one report, however many ticks follow.
    edits = bot.sent("EditMessageText")
    assert len(edits) == 1
    assert [b.callback_data for b in edits[0].reply_markup.inline_keyboard[0]] == [f"bc:csv:{bid}"]
    async with session_pool() as session:
        reports = (
            await session.exec(
                select(Notification).where(col(Notification.kind) == "broadcast_report")
            )
        ).all()
    assert [r.dedupe_key for r in reports] == [f"bc:{bid}:report"]
    assert "Cancelled: 2" in rendered(reports[0].payload, "en")
    assert "Отменено: 2" in rendered(reports[0].payload, "ru")
    assert "Тарату аяқталды" in rendered(reports[0].payload, "kk")


async def test_tick_edits_only_when_the_message_would_change(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    await person(session_pool)
    bid = await sending_with_progress_message(session_pool, boss)
    bot = MockedBot()
    shown: broadcast_ticker.ShownMessages = {}  # what add_broadcast_job keeps between ticks
    await broadcast_ticker.tick(session_pool, NOW, shown)
    await deliver(session_pool, bot, NOW)
    await broadcast_ticker.tick(session_pool, NOW + dt.timedelta(seconds=5), shown)
    await deliver(session_pool, bot, NOW + dt.timedelta(seconds=5))
    assert len(bot.sent("EditMessageText")) == 1  # nothing was sent in between: no second edit
    async with session_pool() as session:
        await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)
    await broadcast_ticker.tick(session_pool, NOW + dt.timedelta(seconds=10), shown)
    await deliver(session_pool, bot, NOW + dt.timedelta(seconds=10))
    edits = bot.sent("EditMessageText")
    assert len(edits) == 2  # the status changed: the message follows
    assert [b.callback_data for b in edits[1].reply_markup.inline_keyboard[0]] == [
        f"bc:r:{bid}",
        f"bc:x:{bid}",
    ]


async def test_the_audit_totals_outlive_the_purged_outbox_rows(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    readers = [await person(session_pool) for _ in range(3)]
    bid = await sending_with_progress_message(session_pool, boss)
    async with session_pool() as session:
        rows = (
            await session.exec(select(Notification).where(col(Notification.broadcast_id) == bid))
        ).all()
        for row, status in zip(rows, ("sent", "sent", "failed", "sent"), strict=True):
            row.status = status
        await session.commit()
    await broadcast_ticker.tick(session_pool, NOW)  # all final: done, report, totals
    async with session_pool() as session:
        before = await broadcasts.progress(session=session, broadcast_id=bid)
        for row in (
            await session.exec(select(Notification).where(col(Notification.broadcast_id) == bid))
        ).all():
            await session.delete(row)  # what the retention job does after its period
        await session.commit()
        after = await broadcasts.progress(session=session, broadcast_id=bid)
    assert len(readers) + 1 == before.total  # the readers and the admin
    assert (before.status, before.sent, before.failed) == ("done", 3, 1)
    assert (after.total, after.sent, after.failed, after.remaining) == (4, 3, 1, 0)
