"""Broadcast payloads through the real delivery worker and the local Bot API server: each
variant type arrives as the right method, in the recipient's language, with their name filled;
a 403 unsubscribes; channel posts keep to the per-group limit.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from sqlmodel import select

from backend.db import SessionPool
from backend.delivery.render import fill
from backend.directory import TOPICS
from backend.models import Channel, Notification, TopicSubscription, User
from testing.telegram import LocalBotAPI
from tests.delivery.support import (
    UNSUBSCRIBE_TEXT,
    add_users,
    broadcast_payload,
    drained,
    enqueue,
    make_worker,
    notifications,
    running,
)

CHANNEL = -1001234567890
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") * 2 + b"rest"


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    async with LocalBotAPI() as server:
        yield server


async def deliver(
    api: LocalBotAPI,
    pool: SessionPool,
    items: Iterable[tuple[int | None, int, str, dict[str, Any]]],
) -> None:
    """Enqueue ``items`` and run a worker until the outbox has nothing left to send."""
    await enqueue(pool, items)
    async with running(make_worker(api, pool)):
        await drained(pool)


def text_variant(text: str, parse_mode: str | None = None) -> dict[str, object]:
    return {"type": "text", "text": text, "parse_mode": parse_mode}


async def test_text_variant_in_the_recipients_language_with_their_name_and_unsubscribe(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    kk = await add_users(session_pool, api, [5001], language="kk")
    ru = await add_users(session_pool, api, [5002], language="ru")
    en = await add_users(session_pool, api, [5003], language="en")
    variants = {
        "kk": text_variant("Сәлеметсіз бе, {name}!"),
        "ru": text_variant("Здравствуйте, {name}!"),
    }
    await deliver(
        api,
        session_pool,
        [
            (kk[5001], 5001, "bc:1:a", broadcast_payload(variants, name="Айгүл")),
            (ru[5002], 5002, "bc:1:b", broadcast_payload(variants, name="Иван")),
            (en[5003], 5003, "bc:1:c", broadcast_payload(variants, name="Ann")),
        ],
    )

    kk_message, ru_message, en_message = (api.messages(c)[0] for c in (5001, 5002, 5003))
    assert kk_message.text == "Сәлеметсіз бе, Айгүл!"
    assert ru_message.text == "Здравствуйте, Иван!"
    assert en_message.text == "Здравствуйте, Ann!"  # no English variant: Russian, then Kazakh
    assert kk_message.buttons[0][0] == (UNSUBSCRIBE_TEXT["kk"], "unsub:news")
    assert ru_message.buttons[0][0] == (UNSUBSCRIBE_TEXT["ru"], "unsub:news")
    assert en_message.buttons[0][0] == (UNSUBSCRIBE_TEXT["en"], "unsub:news")
    assert len(api.calls_to("sendMessage")) == 3
    assert {n.status for n in (await notifications(session_pool)).values()} == {"sent"}


async def test_a_single_variant_reaches_speakers_of_the_other_language(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5011], language="ru")
    only_kk = {"kk": text_variant("Тек қазақша, {name}")}
    await deliver(
        api, session_pool, [(ids[5011], 5011, "bc:2:a", broadcast_payload(only_kk, name="Ә"))]
    )
    assert [m.text for m in api.messages(5011)] == ["Тек қазақша, Ә"]


async def test_photo_and_document_variants_go_by_file_id_with_a_filled_caption(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5021, 5022], language="kk")
    photo = api.add_file(PNG, photo=True)
    document = api.add_file(b"%PDF-1.4 plan", file_name="plan.pdf", mime_type="application/pdf")
    photo_variants = {
        "kk": {"type": "photo", "file_id": photo.file_id, "caption": "{name}, сурет"},
        "ru": {"type": "photo", "file_id": photo.file_id, "caption": "{name}, фото"},
    }
    document_variants = {
        "ru": {"type": "document", "file_id": document.file_id, "caption": None},
    }
    await deliver(
        api,
        session_pool,
        [
            (ids[5021], 5021, "bc:3:a", broadcast_payload(photo_variants, name="Нұр")),
            (ids[5022], 5022, "bc:4:a", broadcast_payload(document_variants, name="Нұр")),
        ],
    )

    [photo_call] = api.calls_to("sendPhoto")
    assert photo_call.ok
    assert photo_call.params["photo"] == photo.file_id
    sent_photo = api.messages(5021)[0]
    assert sent_photo.text == "Нұр, сурет"
    assert sent_photo.file == photo
    assert sent_photo.buttons[0][0].data == "unsub:news"
    [document_call] = api.calls_to("sendDocument")
    assert document_call.ok
    assert document_call.params["document"] == document.file_id
    sent_document = api.messages(5022)[0]
    assert sent_document.file == document
    assert sent_document.text is None  # no caption in the only (Russian) variant
    assert api.calls_to("sendMessage") == []


async def test_a_forwarded_channel_post_is_relayed_with_copy_message(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    api.add_channel(CHANNEL, "ZHASTALAP")
    post = api.channel_post(CHANNEL, "Колледж жаңалықтары")
    ids = await add_users(session_pool, api, [5031], language="ru")
    copy = {"type": "copy", "from_chat_id": CHANNEL, "message_id": post}
    await deliver(
        api,
        session_pool,
        [(ids[5031], 5031, "bc:5:a", broadcast_payload({"kk": copy, "ru": copy}, name="X"))],
    )

    [call] = api.calls_to("copyMessage")
    assert call.ok
    assert (call.params["from_chat_id"], call.params["message_id"]) == (CHANNEL, post)
    relayed = api.messages(5031)[0]
    assert relayed.text == "Колледж жаңалықтары"
    assert "forward_origin" not in relayed.raw  # a copy, not a forward
    assert relayed.buttons[0][0].data == "unsub:news"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "Price {0} and {x.y} and {x[0]} for {unknown}",
            "Price {0} and {x.y} and {x[0]} for {unknown}",
        ),
        ("{{name}} {name} { name } {", "{Айгүл} Айгүл { name } {"),
        ("}{name}{", "}Айгүл{"),
        ("{name.__class__} {name!r} {name:>10}", "{name.__class__} {name!r} {name:>10}"),
    ],
)
async def test_braces_in_curator_text_are_kept_and_never_crash(
    session_pool: SessionPool, api: LocalBotAPI, typed: str, expected: str
) -> None:
    ids = await add_users(session_pool, api, [5041], language="kk")
    payload = broadcast_payload({"kk": text_variant(typed)}, name="Айгүл")
    await deliver(api, session_pool, [(ids[5041], 5041, "bc:6:a", payload)])
    assert [m.text for m in api.messages(5041)] == [expected]


async def test_html_variant_escapes_the_name_and_plain_text_stays_plain(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5051, 5052], language="ru")
    html = {"ru": text_variant("<b>Привет</b>, {name}", parse_mode="HTML")}
    plain = {"ru": text_variant("<b>Привет</b>, {name}")}
    await deliver(
        api,
        session_pool,
        [
            (ids[5051], 5051, "bc:7:a", broadcast_payload(html, name="<i>Аня</i> & Co")),
            (ids[5052], 5052, "bc:8:a", broadcast_payload(plain, name="<i>Аня</i>")),
        ],
    )
    marked = api.messages(5051)[0]
    assert marked.text == "Привет, <i>Аня</i> & Co"  # the name's markup is shown, not applied
    assert [e["type"] for e in marked.raw["entities"]] == ["bold"]
    assert api.messages(5052)[0].text == "<b>Привет</b>, <i>Аня</i>"
    [plain_call] = [c for c in api.calls_to("sendMessage") if c.chat_id == 5052]
    assert "parse_mode" not in plain_call.params


async def test_document_upload_payload_is_sent_as_a_file(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5061], language="kk")
    data = "name;status\r\nАйгүл;sent\r\n".encode()
    payload = {
        "document": {"filename": "digest.csv", "content_b64": base64.b64encode(data).decode()},
        "text": {"kk": "Апталық есеп", "ru": "Недельный отчёт", "en": "Weekly digest"},
    }
    await deliver(api, session_pool, [(ids[5061], 5061, "digest:1", payload)])
    message = api.messages(5061)[0]
    assert message.text == "Апталық есеп"
    assert message.file is not None
    assert message.file.data == data
    assert message.file.file_name == "digest.csv"
    assert (await notifications(session_pool))["digest:1"].status == "sent"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"message": {"ru": {"type": "video", "file_id": "x"}}}, "unknown message variant"),
        ({"message": {"ru": {"type": "photo", "caption": "no file"}}}, "needs a file_id"),
        ({"message": {"ru": {"type": "copy", "from_chat_id": "x", "message_id": 1}}}, "copy"),
        ({"message": {"ru": text_variant("   ")}}, "non-empty text"),
        ({"message": {}}, "variant per language"),
        ({"document": {"filename": "a.csv", "content_b64": "%%%"}, "text": {"ru": "x"}}, "base64"),
    ],
)
async def test_a_bad_payload_fails_its_row_with_the_reason_and_sends_nothing(
    session_pool: SessionPool, api: LocalBotAPI, payload: dict[str, object], reason: str
) -> None:
    ids = await add_users(session_pool, api, [5071], language="ru")
    await deliver(api, session_pool, [(ids[5071], 5071, "bad", payload)])
    row = (await notifications(session_pool))["bad"]
    assert row.status == "failed"
    assert row.last_error is not None
    assert row.last_error.startswith("render:")
    assert reason in row.last_error
    assert api.sent_count() == 0


async def test_a_recipient_who_blocked_the_bot_is_unsubscribed_from_every_topic(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    ids = await add_users(session_pool, api, [5081, 5082], language="ru")
    api.block(5081)
    async with session_pool() as session:  # an earlier explicit choice is overridden too
        session.add(TopicSubscription(user_id=ids[5081], topic="jobs", subscribed=True))
        await session.commit()
    variants = {"ru": text_variant("Новость")}
    await enqueue(
        session_pool,
        [
            (ids[5081], 5081, "bc:9:5081", broadcast_payload(variants)),
            (ids[5082], 5082, "bc:9:5082", broadcast_payload(variants)),
            (ids[5081], 5081, "bc:10:5081", broadcast_payload(variants)),
            (ids[5081], 5081, "bc:11:5081", broadcast_payload(variants)),
        ],
    )
    async with session_pool() as session:  # a paused broadcast's row for the same user
        held = (
            await session.exec(select(Notification).where(Notification.dedupe_key == "bc:11:5081"))
        ).one()
        held.status = "held"
        await session.commit()
    async with running(make_worker(api, session_pool)):
        await drained(session_pool)

    rows = await notifications(session_pool)
    assert rows["bc:9:5081"].status == "failed"
    assert rows["bc:9:5081"].last_error == "blocked"
    assert rows["bc:10:5081"].status == "cancelled"
    assert rows["bc:11:5081"].status == "cancelled"
    assert rows["bc:9:5082"].status == "sent"
    async with session_pool() as session:
        blocked = await session.get(User, ids[5081])
        other = await session.get(User, ids[5082])
        subscriptions = (
            await session.exec(
                select(TopicSubscription).where(TopicSubscription.user_id == ids[5081])
            )
        ).all()
        others = (
            await session.exec(
                select(TopicSubscription).where(TopicSubscription.user_id == ids[5082])
            )
        ).all()
    assert blocked is not None
    assert blocked.unreachable_at is not None
    assert other is not None
    assert other.unreachable_at is None
    assert {s.topic: s.subscribed for s in subscriptions} == {t.code: False for t in TOPICS}
    assert others == []


async def test_held_rows_are_never_claimed(session_pool: SessionPool, api: LocalBotAPI) -> None:
    ids = await add_users(session_pool, api, [5091], language="ru")
    await enqueue(
        session_pool,
        [(ids[5091], 5091, "bc:12:5091", broadcast_payload({"ru": text_variant("x")}))],
    )
    async with session_pool() as session:
        row = (await session.exec(select(Notification))).one()
        row.status = "held"
        row.next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        await session.commit()
    async with running(make_worker(api, session_pool)):
        await asyncio.sleep(0.5)  # several polls of the outbox
    assert api.sent_count() == 0
    assert (await notifications(session_pool))["bc:12:5091"].status == "held"


async def test_channel_posts_keep_to_the_per_group_limit(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    api.add_channel(CHANNEL, "ZHASTALAP")
    async with session_pool() as session:
        session.add(Channel(chat_id=CHANNEL, title="ZHASTALAP", kind="channel"))
        await session.commit()
    started = dt.datetime.now(dt.UTC)
    await enqueue(
        session_pool,
        [
            (
                None,
                CHANNEL,
                f"bc:{n}:chat:{CHANNEL}",
                broadcast_payload({"ru": text_variant(f"Пост {n}")}, topic=None),
            )
            for n in range(20, 25)
        ],
    )
    worker = make_worker(api, session_pool, per_group_per_minute=2, per_chat_interval=0)
    async with running(worker):
        await api.wait_for_call("sendMessage", lambda _: api.sent_count(CHANNEL) >= 2)
        await asyncio.sleep(0.5)  # room for a third send, which must not happen
    rows = await notifications(session_pool)
    assert api.sent_count(CHANNEL) == 2
    assert [m.text for m in api.messages(CHANNEL)] == ["Пост 20", "Пост 21"]
    assert api.messages(CHANNEL)[0].buttons == []  # no unsubscribe button in a channel
    later = [row for row in rows.values() if row.status == "pending"]
    assert len(later) == 3
    # Given back to the outbox until the oldest post of the minute leaves the window.
    assert all(row.next_attempt_at >= started + dt.timedelta(seconds=55) for row in later)


async def test_a_channel_that_removed_the_bot_is_deactivated(
    session_pool: SessionPool, api: LocalBotAPI
) -> None:
    api.add_channel(CHANNEL, "ZHASTALAP")
    api.block(CHANNEL)
    async with session_pool() as session:
        session.add(Channel(chat_id=CHANNEL, title="ZHASTALAP", kind="channel"))
        await session.commit()
    payload = broadcast_payload({"ru": text_variant("Пост")}, topic=None)
    await deliver(api, session_pool, [(None, CHANNEL, f"bc:30:chat:{CHANNEL}", payload)])
    assert (await notifications(session_pool))[f"bc:30:chat:{CHANNEL}"].status == "failed"
    async with session_pool() as session:
        channel = (await session.exec(select(Channel))).one()
    assert channel.active is False


def test_fill_takes_only_plain_values_and_escapes_them_for_html() -> None:
    params = {"name": "<Ә & Б>", "n": 3, "flag": True, "obj": {"a": 1}, "none": None}
    assert fill("{name} {n} {flag} {obj} {none}", params) == "<Ә & Б> 3 {flag} {obj} {none}"
    assert fill("<b>{name}</b>", params, html_mode=True) == "<b>&lt;Ә &amp; Б&gt;</b>"
    assert fill("{__class__} {name.upper}", params) == "{__class__} {name.upper}"
