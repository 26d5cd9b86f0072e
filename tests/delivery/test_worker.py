"""The delivery worker against the local Bot API server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import defaultdict

import pytest
from sqlmodel import select

from backend.db import SessionPool
from backend.delivery import DefaultRenderer, RenderedMessage
from backend.models import DeliveryPause, Notification, User
from testing.telegram import LocalBotAPI
from tests.delivery.support import (
    add_users,
    delivered_texts,
    drained,
    enqueue,
    make_worker,
    notifications,
    running,
    text,
)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


async def test_renders_in_the_language_the_recipient_has_at_send_time(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [2001, 2002, 2003], language="ru")
    buttons = [[{"text": {"kk": "Иә", "ru": "Да"}, "callback_data": "reminder:ok:17"}]]
    await enqueue(
        session_pool,
        [
            (ids[2001], 2001, "a", {**text("hello"), "buttons": buttons}),
            (ids[2002], 2002, "b", text("hello")),
            (ids[2003], 2003, "c", {"text": {"kk": "тек қазақша"}}),  # no Russian: fall back
        ],
    )
    async with session_pool() as session:  # after enqueueing, 2001 switches to Kazakh
        user = (await session.exec(select(User).where(User.telegram_id == 2001))).one()
        user.language = "kk"
        await session.commit()

    async with running(make_worker(api, session_pool)):
        await drained(session_pool)

    first = api.messages(2001)[0]
    assert first.text == "hello kk"
    assert first.buttons[0][0].text == "Иә"
    assert first.buttons[0][0].data == "reminder:ok:17"
    assert [m.text for m in api.messages(2002)] == ["hello ru"]
    assert [m.text for m in api.messages(2003)] == ["тек қазақша"]
    assert {n.status for n in (await notifications(session_pool)).values()} == {"sent"}


async def test_429_and_403_lose_nothing_and_send_nothing_twice(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    chats = list(range(3001, 3013))
    blocked = {3004, 3008, 3011}
    ids = await add_users(session_pool, api, chats)
    await enqueue(
        session_pool,
        [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2) for c in chats],
    )
    for chat in blocked:
        api.block(chat)
    api.inject(429, method="sendMessage", retry_after=1)  # the very first send
    api.inject(429, method="sendMessage", chat_id=3006, retry_after=1)
    started = dt.datetime.now(dt.UTC)

    async with running(make_worker(api, session_pool)):
        await drained(session_pool)

    delivered = delivered_texts(api)
    assert set(delivered.values()) == {1}, "a message was sent twice"
    for chat in chats:
        expected = set() if chat in blocked else {f"{chat}-1 ru", f"{chat}-2 ru"}
        assert {t for (c, t) in delivered if c == chat} == expected
    assert len([c for c in api.calls_to("sendMessage") if c.error_code == 429]) == 2

    rows = await notifications(session_pool)
    for chat in blocked:
        assert {rows[f"{chat}-1"].status, rows[f"{chat}-2"].status} == {"failed", "cancelled"}
        assert rows[f"{chat}-1"].last_error == rows[f"{chat}-2"].last_error == "blocked"
    assert sum(n.status == "sent" for n in rows.values()) == 2 * (len(chats) - len(blocked))
    async with session_pool() as session:
        users = (await session.exec(select(User))).all()
        pause = await session.get(DeliveryPause, "global")
    assert {u.telegram_id for u in users if u.unreachable_at is not None} == blocked
    assert pause is not None
    assert pause.until > started + dt.timedelta(seconds=1)
    assert pause.reason is not None
    assert "Too Many Requests" in pause.reason


async def test_5xx_retries_with_backoff_then_gives_up_with_the_reason(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [4001, 4002])
    await enqueue(
        session_pool,
        [(ids[4001], 4001, "flaky", text("flaky")), (ids[4002], 4002, "down", text("down"))],
    )
    api.inject(500, method="sendMessage", chat_id=4001, times=2)
    api.inject(502, method="sendMessage", chat_id=4002, times=None)

    async with running(make_worker(api, session_pool, max_attempts=3)):
        await drained(session_pool)

    rows = await notifications(session_pool)
    assert (rows["flaky"].status, rows["flaky"].attempts) == ("sent", 3)
    assert [m.text for m in api.messages(4001)] == ["flaky ru"]
    assert (rows["down"].status, rows["down"].attempts) == ("failed", 3)
    assert rows["down"].last_error is not None
    assert "Bad Gateway" in rows["down"].last_error
    assert api.messages(4002) == []
    assert len(api.calls_to("sendMessage")) == 3 + 3


async def test_a_stored_429_pause_holds_a_restarted_worker(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5001, 5002, 5003])
    await enqueue(session_pool, [(ids[c], c, str(c), text(str(c))) for c in ids])
    api.inject(429, method="sendMessage", retry_after=2)

    first = make_worker(api, session_pool, batch_size=1)
    assert await first.run_once() == 1  # answered 429: the pause is stored, the worker dies
    await first.close()
    refused = api.calls_to("sendMessage")[0]
    assert refused.error_code == 429

    second = make_worker(api, session_pool)  # a new process, knowing nothing in memory
    assert await second.run_once() == 0
    async with running(second):
        await drained(session_pool)

    sent = [call for call in api.calls_to("sendMessage") if call.ok]
    assert len(sent) == 3
    assert min(call.at for call in sent) >= refused.at + 2


@SQLITE_ONLY
async def test_chat_spacing_and_the_global_rate_keep_telegram_from_answering_429(
    session_pool: SessionPool,
) -> None:
    async with LocalBotAPI(enforce_limits=True, global_per_second=20) as api:
        chats = list(range(6001, 6021))
        ids = await add_users(session_pool, api, chats)
        await enqueue(
            session_pool,
            [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2, 3) for c in chats],
        )
        async with running(make_worker(api, session_pool, global_rate=20)):
            await drained(session_pool)

        calls = api.calls_to("sendMessage")
    assert [c for c in calls if not c.ok] == []
    assert len(calls) == 60
    times: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        times[call.chat_id].append(call.at)
    for chat_times in times.values():
        assert len(chat_times) == 3
        gaps = [later - earlier for earlier, later in itertools.pairwise(chat_times)]
        assert min(gaps) >= 1.0
        assert chat_times[-1] - chat_times[0] >= 2.0


class RecordingRenderer(DefaultRenderer):
    """Notes which notifications this worker rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[int] = []

    def render(self, notification: Notification, language: str) -> RenderedMessage:
        assert notification.id is not None
        self.ids.append(notification.id)
        return super().render(notification, language)


@POSTGRES_ONLY
async def test_two_workers_share_the_outbox_with_skip_locked(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    chats = list(range(7001, 7061))
    ids = await add_users(session_pool, api, chats)
    await enqueue(
        session_pool, [(ids[c], c, f"{c}-{n}", text(f"{c}-{n}")) for n in (1, 2) for c in chats]
    )
    renderers = [RecordingRenderer(), RecordingRenderer()]
    workers = [
        make_worker(api, session_pool, batch_size=8, renderer=renderer) for renderer in renderers
    ]
    async with running(*workers):
        await drained(session_pool)

    delivered = delivered_texts(api)
    assert len(delivered) == 120
    assert set(delivered.values()) == {1}
    first, second = (set(renderer.ids) for renderer in renderers)
    assert first, "one worker did all the work"
    assert second, "one worker did all the work"
    assert not first & second
    assert len(first | second) == 120


async def test_stop_gives_back_at_once_what_was_claimed_and_not_sent(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [8001, 8002, 8003])
    await enqueue(
        session_pool,
        [(ids[8001], 8001, f"m{n}", text(f"m{n}")) for n in range(3)]
        + [(ids[c], c, str(c), text(str(c))) for c in (8002, 8003)],
    )
    loop = asyncio.get_running_loop()
    async with running(make_worker(api, session_pool, global_rate=1)):
        await api.wait_for_call("sendMessage")  # one a second: the others wait their turn
        await asyncio.sleep(0.1)
        stopping = loop.time()
    assert loop.time() - stopping < 0.5

    rows = await notifications(session_pool)
    assert sorted(n.status for n in rows.values()) == ["pending"] * 4 + ["sent"]
    assert all(n.attempts == 0 for n in rows.values() if n.status == "pending")


async def test_a_retry_is_not_claimed_before_it_is_due(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [8101])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    async with session_pool() as session:
        session.add(
            Notification(
                user_id=ids[8101],
                chat_id=8101,
                kind="test",
                dedupe_key="later",
                payload=text("later"),
                next_attempt_at=later,
            )
        )
        await session.commit()

    now_worker = make_worker(api, session_pool)
    assert await now_worker.run_once() == 0
    await now_worker.close()
    in_two_hours = make_worker(
        api, session_pool, now=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    )
    assert await in_two_hours.run_once() == 1
    await in_two_hours.close()
    assert [m.text for m in api.messages(8101)] == ["later ru"]
