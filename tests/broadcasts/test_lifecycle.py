"""Draft → start/schedule → pause/resume/cancel → done, against the outbox rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from backend import curators
from backend.broadcasts import service as broadcasts
from backend.broadcasts import ticker as broadcast_ticker
from backend.broadcasts.service import (
    Audience,
    BroadcastInputError,
    BroadcastStateError,
    OutOfScopeError,
)
from backend.broadcasts.texts import progress_text
from backend.curators import Scope
from backend.db import SessionPool
from backend.models import Broadcast, Notification, User
from backend.settings import Settings
from tests.broadcasts.helpers import TEXT, admin, curator, person
from tests.rendering import LANGUAGES, button_labels

NOW = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


async def draft(pool: SessionPool, actor: int, **kwargs: object) -> int:
    async with pool() as session:
        created = await broadcasts.create_draft(
            session=session,
            actor_id=actor,
            content=kwargs.pop("content", TEXT),  # type: ignore[arg-type]
            topic=kwargs.pop("topic", "news"),  # type: ignore[arg-type]
            audience=kwargs.pop("audience", Audience()),  # type: ignore[arg-type]
        )
        assert created.id is not None
        return created.id


async def rows(pool: SessionPool, broadcast_id: int) -> list[Notification]:
    async with pool() as session:
        found = await session.exec(
            select(Notification)
            .where(col(Notification.broadcast_id) == broadcast_id)
            .order_by(col(Notification.id))
        )
        return list(found.all())


async def statuses(pool: SessionPool, broadcast_id: int) -> set[str]:
    return {row.status for row in await rows(pool, broadcast_id)}


async def test_start_enqueues_one_row_per_recipient_with_the_agreed_payload(
    session_pool: SessionPool,
) -> None:
    boss = await admin(session_pool)
    reader = await person(session_pool, name="Ерлан")
    content = {
        "kk": {"type": "text", "text": "Сәлем, {name}!"},
        "ru": {"type": "photo", "file_id": "AgAD", "caption": "Привет, {name}"},
    }
    bid = await draft(session_pool, boss, content=content, topic="courses")
    async with session_pool() as session:
        started = await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        assert (started.status, started.recipient_count) == ("running", 2)
        assert started.started_at is not None
        assert started.text_sha256 == broadcasts.text_sha256(content)
        # Starting twice is refused and enqueues nothing more.
        with pytest.raises(BroadcastStateError):
            await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
    found = {row.user_id: row for row in await rows(session_pool, bid)}
    assert set(found) == {boss, reader}
    row = found[reader]
    assert (row.kind, row.status, row.dedupe_key) == ("broadcast", "pending", f"bc:{bid}:{reader}")
    assert row.payload["message"] == content
    assert row.payload["params"] == {"name": "Ерлан"}
    [[button]] = row.payload["buttons"]
    assert button["callback_data"] == "unsub:courses"
    labels = {language: button_labels(row.payload, language)[0] for language in LANGUAGES}
    assert labels["kk"] == "🔕 «Біліктілікті арттыру курстары» тақырыбынан жазылымнан шығу"
    assert labels["ru"] == "🔕 Отписаться от темы «Курсы повышения квалификации»"
    assert labels["en"].startswith("🔕 Unsubscribe from")
    async with session_pool() as session:
        user = await session.get(User, reader)
        assert user is not None
        assert row.chat_id == user.telegram_id


async def test_content_is_validated(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    with pytest.raises(BroadcastInputError) as caught:
        await draft(
            session_pool,
            boss,
            content={
                "kk": {"type": "text", "text": "x" * 4097},
                "ru": {"type": "photo", "file_id": "A", "caption": "y" * 1025},
                "de": {"type": "text", "text": "Hallo"},
            },
            topic="gossip",
        )
    assert set(caught.value.problems) == {
        ("content.kk.text", "too_long"),
        ("content.ru.caption", "too_long"),
        ("content.de", "unknown_language"),
        ("topic", "unknown"),
    }
    with pytest.raises(BroadcastInputError) as caught:
        await draft(session_pool, boss, content={})
    assert caught.value.problems == [("content", "required")]


async def test_pause_resume_cancel_move_the_rows(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    for _ in range(3):
        await person(session_pool)
    bid = await draft(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        # One already went out: pausing must not touch it.
        first = (await rows(session_pool, bid))[0]
        first_row = await session.get(Notification, first.id)
        assert first_row is not None
        first_row.status, first_row.sent_at = "sent", NOW
        await session.commit()

        paused = await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)
        assert paused.status == "paused"
    assert await statuses(session_pool, bid) == {"sent", "held"}
    async with session_pool() as session:
        with pytest.raises(BroadcastStateError):
            await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)
        await broadcasts.resume(session=session, actor_id=boss, broadcast_id=bid)
    assert await statuses(session_pool, bid) == {"sent", "pending"}
    async with session_pool() as session:
        await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)
        cancelled = await broadcasts.cancel(session=session, actor_id=boss, broadcast_id=bid)
        assert cancelled.status == "cancelled"
        assert cancelled.finished_at is not None
        with pytest.raises(BroadcastStateError):
            await broadcasts.resume(session=session, actor_id=boss, broadcast_id=bid)
        progress = await broadcasts.progress(session=session, broadcast_id=bid)
    assert await statuses(session_pool, bid) == {"sent", "cancelled"}
    assert (progress.total, progress.sent, progress.cancelled, progress.remaining) == (4, 1, 3, 0)


async def test_a_curator_cannot_touch_another_curators_broadcast(
    session_pool: SessionPool,
) -> None:
    await person(session_pool)
    owner = await curator(session_pool, Scope())
    other = await curator(session_pool, Scope())
    boss = await admin(session_pool)
    bid = await draft(session_pool, owner)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=owner, broadcast_id=bid)
        for action in (broadcasts.pause, broadcasts.cancel, broadcasts.get):
            with pytest.raises(OutOfScopeError):
                await action(session=session, actor_id=other, broadcast_id=bid)
        with pytest.raises(OutOfScopeError):
            await broadcasts.report_csv(session=session, actor_id=other, broadcast_id=bid)
        assert [b.id for b in await broadcasts.list_for(session=session, actor_id=other)] == []
        assert [b.id for b in await broadcasts.list_for(session=session, actor_id=boss)] == [bid]
        # An admin may act on anyone's broadcast.
        assert (await broadcasts.pause(session=session, actor_id=boss, broadcast_id=bid)).status
    assert await statuses(session_pool, bid) == {"held"}


async def test_scheduled_broadcast_starts_on_the_tick_when_due(
    session_pool: SessionPool,
) -> None:
    boss = await admin(session_pool)
    await person(session_pool)
    bid = await draft(session_pool, boss)
    at = NOW + dt.timedelta(hours=2)
    async with session_pool() as session:
        with pytest.raises(BroadcastInputError):
            await broadcasts.start(
                session=session, actor_id=boss, broadcast_id=bid, at=NOW - dt.timedelta(1), now=NOW
            )
        scheduled = await broadcasts.start(
            session=session, actor_id=boss, broadcast_id=bid, at=at, now=NOW
        )
        assert (scheduled.status, scheduled.scheduled_at) == ("scheduled", at)
    await broadcast_ticker.tick(session_pool, NOW + dt.timedelta(hours=1))
    assert await rows(session_pool, bid) == []
    await broadcast_ticker.tick(session_pool, at)
    assert await statuses(session_pool, bid) == {"pending"}
    async with session_pool() as session:
        broadcast = await session.get(Broadcast, bid)
        assert broadcast is not None
        assert broadcast.status == "running"
        assert broadcast.recipient_count == 2
    # All delivered: the next tick finishes it and sends the curator one report.
    async with session_pool() as session:
        for row in await rows(session_pool, bid):
            stored = await session.get(Notification, row.id)
            assert stored is not None
            stored.status, stored.sent_at = "sent", at
        await session.commit()
    await broadcast_ticker.tick(session_pool, at + dt.timedelta(seconds=5))
    await broadcast_ticker.tick(session_pool, at + dt.timedelta(seconds=10))
    async with session_pool() as session:
        broadcast = await session.get(Broadcast, bid)
        assert broadcast is not None
        assert broadcast.status == "done"
        reports = (
            await session.exec(
                select(Notification).where(col(Notification.kind) == "broadcast_report")
            )
        ).all()
    assert len(reports) == 1
    assert reports[0].user_id == boss
    assert reports[0].payload["buttons"][0][0]["callback_data"] == f"bc:csv:{bid}"


async def test_report_csv_has_a_line_per_recipient(session_pool: SessionPool) -> None:
    boss = await admin(session_pool)
    reader = await person(session_pool, name="=HYPERLINK()")
    blocked = await person(session_pool, name="Блок")
    bid = await draft(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        for row in await rows(session_pool, bid):
            stored = await session.get(Notification, row.id)
            assert stored is not None
            if row.user_id == blocked:
                stored.status, stored.last_error = "failed", "blocked: Forbidden"
            else:
                stored.status, stored.sent_at = "sent", NOW
        await session.commit()
        data = await broadcasts.report_csv(session=session, actor_id=boss, broadcast_id=bid)
        progress = await broadcasts.progress(session=session, broadcast_id=bid, now=NOW)
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == list(broadcasts.REPORT_HEADER)
    by_user = {line[0]: line for line in table[1:]}
    assert by_user[str(reader)][1] == "'=HYPERLINK()"  # no formula injection
    assert by_user[str(reader)][3] == "sent"
    assert by_user[str(blocked)][3] == "blocked"
    assert (progress.sent, progress.blocked, progress.failed) == (2, 1, 0)


async def test_the_curators_report_speaks_their_language_in_almaty_time(
    session_pool: SessionPool,
) -> None:
    boss = await admin(session_pool)
    retried = await person(session_pool, name="Сәтті")
    failed = await person(session_pool, name="Қате")
    bid = await draft(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        for row in await rows(session_pool, bid):
            stored = await session.get(Notification, row.id)
            assert stored is not None
            if row.user_id == failed:
                stored.status, stored.last_error = "failed", "Bad Request:\nchat not found"
            else:  # sent at last, after a 429 on an earlier attempt
                stored.status, stored.sent_at = "sent", NOW
                stored.last_error = "Too Many Requests:\nretry after 5"
        await session.commit()
        kazakh = await broadcasts.report_csv(
            session=session, actor_id=boss, broadcast_id=bid, language="kk"
        )
        russian = await broadcasts.report_csv(
            session=session, actor_id=boss, broadcast_id=bid, language="ru"
        )
        machine = await broadcasts.report_csv(session=session, actor_id=boss, broadcast_id=bid)
    kk_table = list(csv.reader(io.StringIO(kazakh.decode("utf-8-sig"))))
    ru_table = list(csv.reader(io.StringIO(russian.decode("utf-8-sig"))))
    assert kk_table[0][3] == "Күйі"
    assert ru_table[0] == [
        "ID пользователя",
        "Имя",
        "Имя пользователя",
        "Статус",
        "Время отправки (время Алматы)",
        "Ошибка",
    ]
    by_user = {line[0]: line for line in ru_table[1:]}
    assert by_user[str(retried)][3] == "отправлено"
    assert by_user[str(retried)][4] == "04.12.2026 14:00"  # 09:00 UTC is 14:00 in Almaty
    assert by_user[str(retried)][5] == ""  # the 429 it overcame is no error of a sent row
    assert by_user[str(failed)][3] == "не доставлено"
    assert by_user[str(failed)][5] == "Bad Request: chat not found"  # on one line
    assert {line[0]: line for line in kk_table[1:]}[str(failed)][3] == "жеткізілмеді"
    for data in (kazakh, russian, machine):
        assert data.decode("utf-8-sig").count("\n") == len(ru_table)  # no newline in a cell
    machine_table = list(csv.reader(io.StringIO(machine.decode("utf-8-sig"))))
    assert machine_table[0] == list(broadcasts.REPORT_HEADER)  # the API keeps its codes


async def test_twenty_thousand_recipients_are_enqueued_in_one_statement(
    session_pool: SessionPool, engine: AsyncEngine
) -> None:
    boss = await admin(session_pool)
    async with session_pool() as session:
        await session.exec(
            insert(User),
            params=[
                {"telegram_id": 9_000_000 + i, "full_name": f"Teacher {i}", "language": "ru"}
                for i in range(20_000)
            ],
        )
        await session.commit()
    bid = await draft(session_pool, boss)
    inserts: list[str] = []

    def count_inserts(*args: object) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATION"):
            inserts.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count_inserts)
    try:
        began = time.perf_counter()
        async with session_pool() as session:
            started = await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        elapsed = time.perf_counter() - began
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count_inserts)
    assert started.recipient_count == 20_001
    assert len(inserts) == 1
    assert elapsed < 10
    async with session_pool() as session:
        sample = (
            await session.exec(
                select(Notification).where(col(Notification.dedupe_key) == f"bc:{bid}:{boss}")
            )
        ).one()
    assert sample.payload["params"] == {"name": "Админ"}


async def test_eta_follows_the_rate_observed_in_the_last_minute(
    session_pool: SessionPool,
) -> None:
    boss = await admin(session_pool)
    for _ in range(3):
        await person(session_pool)
    bid = await draft(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        assert (
            await broadcasts.progress(session=session, broadcast_id=bid, now=NOW)
        ).eta_seconds is None
        for row in (await rows(session_pool, bid))[:2]:
            stored = await session.get(Notification, row.id)
            assert stored is not None
            stored.status, stored.sent_at = "sent", NOW - dt.timedelta(seconds=30)
        await session.commit()
        progress = await broadcasts.progress(session=session, broadcast_id=bid, now=NOW)
        # Two sent in the 30 s observed so far, two left: about 30 s to go.
        assert progress.remaining == 2
        assert progress.eta_seconds == pytest.approx(30.0)
        stale = await broadcasts.progress(
            session=session, broadcast_id=bid, now=NOW + dt.timedelta(minutes=5)
        )
        assert stale.eta_seconds is None


async def test_eta_of_a_broadcast_that_just_began_uses_the_seconds_observed(
    session_pool: SessionPool,
) -> None:
    """Issue 16: 3 of 11 sent in the first 6 s said "about 3 min"; it ended 17 s later."""
    boss = await admin(session_pool)
    for _ in range(10):
        await person(session_pool)
    bid = await draft(session_pool, boss)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=boss, broadcast_id=bid)
        for index, row in enumerate((await rows(session_pool, bid))[:3]):
            stored = await session.get(Notification, row.id)
            assert stored is not None
            stored.status, stored.sent_at = "sent", NOW - dt.timedelta(seconds=6 - 2 * index)
        await session.commit()
        progress = await broadcasts.progress(session=session, broadcast_id=bid, now=NOW)
    assert progress.remaining == 8
    assert progress.eta_seconds == pytest.approx(16.0)  # 3 in 6 s: 0.5 a second, 8 left
    assert "About 1 min left" in progress_text(progress, "en")


async def test_the_ticker_job_is_registered_once_with_a_fixed_id(
    settings: Settings, session_pool: SessionPool
) -> None:
    scheduler = AsyncIOScheduler()
    scheduler.start(paused=True)  # jobs of a started scheduler replace each other by id
    try:
        for _ in range(2):
            broadcast_ticker.add_broadcast_job(scheduler, session_pool, settings)
        [job] = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)
    assert job.id == broadcast_ticker.JOB_ID
    assert job.trigger.interval == dt.timedelta(
        seconds=settings.broadcast.progress_interval_seconds
    )


async def test_a_scheduled_broadcast_of_a_revoked_curator_never_goes_out(
    session_pool: SessionPool,
) -> None:
    await person(session_pool)
    owner = await curator(session_pool, Scope())
    bid = await draft(session_pool, owner)
    at = NOW + dt.timedelta(hours=1)
    async with session_pool() as session:
        await broadcasts.start(session=session, actor_id=owner, broadcast_id=bid, at=at, now=NOW)
        assert await curators.revoke_curator(session=session, user_id=owner)
    await broadcast_ticker.tick(session_pool, at)
    assert await rows(session_pool, bid) == []
    async with session_pool() as session:
        broadcast = await session.get(Broadcast, bid)
        assert broadcast is not None
        assert broadcast.status == "cancelled"
