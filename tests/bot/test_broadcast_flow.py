"""/broadcast through the real dispatcher and database: who may, compose → preview → send or
schedule, forwarded posts, scope, forged buttons, and the admin's curator commands."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import TelegramMethod

from backend import staff
from backend.broadcasts import service as broadcasts
from backend.broadcasts import topics
from backend.channels import registration as channels
from backend.curators import NotCuratorError, Scope
from backend.db import SessionPool
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.factory import create_dispatcher, create_i18n
from bot.storage import SqlStorage
from testing.chat import Chat, callback_data_shown, started_chat, user_id_of
from testing.mocked_bot import MockedBot
from tests.bot.broadcast_support import (
    add_members,
    add_people,
    alerts,
    broadcasts_of,
    forward_channel_post,
    make_admin,
    make_curator,
    outbox_of,
    scope_of,
    send_document,
    send_photo,
    set_category,
)


async def compose_text(chat: Chat, text: str = "Сәлем, {name}! Жаңалық.") -> None:
    await chat.send("/broadcast")
    await chat.send(text)
    await chat.press_data("bk:skip:")
    await chat.press_data("bk:topic:news")


async def curator_at_preview(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, user_id: int, people: int
) -> tuple[Chat, int]:
    """A curator (their chat and database id) with ``people`` more subscribers, who composed a
    text broadcast on "news" and is looking at its preview."""
    chat = await started_chat(dispatcher, bot, user_id)
    curator_id = await make_curator(session_pool, chat)
    await add_people(session_pool, people)
    await compose_text(chat)
    await chat.press_data("bk:preview:")
    return chat, curator_id


def count_in(text: str) -> int:
    numbers = re.findall(r"\d+", text)
    assert numbers, text
    return int(numbers[-1])


async def test_non_curator_is_refused_and_forged_compose_buttons_do_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8201)
    await chat.send("/broadcast")
    assert not any(d.startswith("bk:") for d in callback_data_shown(bot))
    await chat.send("Всем привет")  # not taken as a broadcast message
    for forged in ("bk:topic:news", "bk:send:", "bk:new:", "bk:preview:"):
        await chat.press_data(forged)
    assert await broadcasts_of(session_pool) == []
    await chat.press_data("bc:x:1")
    assert len(alerts(bot)) >= 4  # each forged press answered politely


async def test_compose_preview_counts_exactly_and_send_now_fills_the_outbox(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8202)
    curator_id = await make_curator(session_pool, chat)
    people = await add_people(session_pool, 4)
    await add_people(session_pool, 2, unreachable=True)  # blocked the bot: never counted
    opted_out = (await add_people(session_pool, 1))[0]
    async with session_pool() as session:
        await topics.set_topic(session, opted_out, "news", False)
    await compose_text(chat)
    await chat.press_data("bk:preview:")
    # The preview is the message itself, name filled in, with the unsubscribe button.
    previews = [r for r in bot.sent("SendMessage") if "Жаңалық" in str(r.text)]
    assert previews
    assert "{name}" not in str(previews[-1].text)
    assert "Айгүл" in str(previews[-1].text)
    assert previews[-1].reply_markup.inline_keyboard[0][0].callback_data == "unsub:news"
    expected = len(people) + 1  # the curator is subscribed too
    summary = chat.last_screen()
    assert count_in(summary.text) == expected
    assert {d for _, d in chat.buttons()} >= {"bk:send:", "bk:sched:", "bk:aud:", "bk:cancel:"}
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.curator_id == curator_id
    assert created.content["ru"]["type"] == "text"
    assert created.status in ("running", "done")
    rows = await outbox_of(session_pool, created.id or 0)
    assert len(rows) == expected
    assert {r.dedupe_key for r in rows} == {f"bc:{created.id}:{r.user_id}" for r in rows}
    assert opted_out not in {r.user_id for r in rows}
    # The progress message carries the bc buttons and is remembered for the ticker.
    assert f"bc:p:{created.id}" in callback_data_shown(bot)
    [after] = await broadcasts_of(session_pool)
    assert after.progress_chat_id == chat.user.id
    assert after.progress_message_id is not None
    # A second tap on Send now (an old message) sends nothing more.
    await chat.press_data("bk:send:")
    assert len(await broadcasts_of(session_pool)) == 1


async def test_roles_filter_narrows_the_count(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8203)
    await make_curator(session_pool, chat)
    await add_people(session_pool, 3, role="teacher")
    await add_people(session_pool, 2, role="student")
    await compose_text(chat)
    await chat.press_data("bk:role:teachers")
    assert any(t.startswith("✅") and d == "bk:role:teachers" for t, d in chat.buttons())
    await chat.press_data("bk:preview:")
    assert count_in(chat.last_screen().text) == 3


async def test_schedule_rejects_a_bad_time_then_accepts_a_good_one(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, settings: Settings
) -> None:
    chat, _ = await curator_at_preview(dispatcher, bot, session_pool, 8204, 2)
    await chat.press_data("bk:sched:")
    await chat.send("завтра утром")
    await chat.send("01.01.2020 10:00")  # parseable, but past
    assert await broadcasts_of(session_pool) == []
    when = (utcnow().astimezone(settings.tz) + dt.timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    await chat.send(when.strftime("%d.%m.%Y %H:%M"))
    [created] = await broadcasts_of(session_pool)
    assert created.status == "scheduled"
    assert created.scheduled_at is not None
    assert created.scheduled_at == when.astimezone(dt.UTC)
    assert f"bc:x:{created.id}" in callback_data_shown(bot)


async def test_forwarded_channel_post_becomes_a_copy_variant(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8205)
    await make_curator(session_pool, chat)
    await chat.send("/broadcast")
    await forward_channel_post(chat, -1001234567890, 77, "Пост канала")
    await send_photo(chat, "PHOTO-LARGE", caption="<b>Қазақша</b> нұсқа")
    await chat.press_data("bk:topic:contests")
    await chat.press_data("bk:preview:")
    copies = bot.sent("CopyMessage")
    assert copies
    assert copies[-1].from_chat_id == -1001234567890
    assert copies[-1].message_id == 77
    photos = bot.sent("SendPhoto")
    assert photos
    assert photos[-1].photo == "PHOTO-LARGE"
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.content["ru"] == {
        "type": "copy",
        "from_chat_id": -1001234567890,
        "message_id": 77,
    }
    assert created.content["kk"]["type"] == "photo"
    assert created.content["kk"]["file_id"] == "PHOTO-LARGE"
    assert created.topic == "contests"


async def test_document_variant_and_unusable_message_keeps_the_step(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, settings: Settings
) -> None:
    chat = await started_chat(dispatcher, bot, 8206)
    await make_curator(session_pool, chat)
    await chat.send("/broadcast")
    await chat.send("x" * 5000)  # too long for Telegram
    await send_document(chat, "DOC-1", caption="Бұйрық")
    storage = SqlStorage(session_pool)
    key = StorageKey(bot_id=bot.id, chat_id=chat.user.id, user_id=chat.user.id)
    data = await storage.get_data(key)
    assert data["bcast"]["content"]["ru"]["type"] == "document"
    assert data["bcast"]["content"]["ru"]["file_id"] == "DOC-1"
    assert await storage.get_state(key) == "BroadcastStates:second"


async def test_region_curator_cannot_reach_another_region(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8207)
    await make_curator(session_pool, chat, Scope(kind="region", regions=("astana",)))
    await add_people(session_pool, 2, region="astana")
    await add_people(session_pool, 3, region="almaty")
    await compose_text(chat)
    await chat.press_data("bk:regs:0")
    offered = [d for _, d in chat.buttons() if d.startswith("bk:reg:")]
    assert offered == ["bk:reg:astana"]
    await chat.press_data("bk:reg:almaty")  # forged
    assert any(alerts(bot))
    await chat.press_data("bk:preview:")
    assert count_in(chat.last_screen().text) == 2  # only Astana, never Almaty
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.audience.get("regions") in ([], None)
    rows = await outbox_of(session_pool, created.id or 0)
    assert len(rows) == 2


async def test_forged_progress_button_on_someone_elses_broadcast_does_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool, settings: Settings
) -> None:
    owner, _ = await curator_at_preview(dispatcher, bot, session_pool, 8208, 3)
    await owner.press_data("bk:sched:")
    when = utcnow() + dt.timedelta(days=3)
    await owner.send(
        when.astimezone(dt.timezone(dt.timedelta(hours=5))).strftime("%d.%m.%Y %H:%M")
    )
    [theirs] = await broadcasts_of(session_pool)
    assert theirs.status == "scheduled"
    other = await started_chat(dispatcher, bot, 8209)
    await make_curator(session_pool, other)
    for action in ("x", "p", "csv"):
        await other.press_data(f"bc:{action}:{theirs.id}")
    await other.press_data("bc:x:999999")
    [after] = await broadcasts_of(session_pool)
    assert after.status == "scheduled"
    assert not bot.sent("SendDocument")
    # The owner can cancel it, and then get the CSV report.
    await owner.press_data(f"bc:x:{theirs.id}")
    [cancelled] = await broadcasts_of(session_pool)
    assert cancelled.status == "cancelled"
    await owner.press_data(f"bc:csv:{theirs.id}")
    assert bot.sent("SendDocument")


async def test_pause_and_resume_from_the_progress_message(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, curator_id = await curator_at_preview(dispatcher, bot, session_pool, 8210, 3)
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    await chat.press_data(f"bc:p:{created.id}")
    async with session_pool() as session:
        paused = await broadcasts.get(
            session=session, actor_id=curator_id, broadcast_id=created.id or 0
        )
    assert paused.status == "paused"
    assert f"bc:r:{created.id}" in [d for _, d in chat.buttons()]
    await chat.press_data(f"bc:r:{created.id}")
    [resumed] = await broadcasts_of(session_pool)
    assert resumed.status == "running"


async def test_broadcasts_section_lists_the_curators_broadcasts(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat, _ = await curator_at_preview(dispatcher, bot, session_pool, 8211, 0)
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    await chat.press_data("m:bcast")
    data = [d for _, d in chat.buttons()]
    assert f"bc:v:{created.id}" in data
    assert "bk:new:" in data
    stranger = await started_chat(dispatcher, bot, 8212)
    mark = len(bot.sent("SendMessage"))
    await stranger.press_data("m:bcast")
    answers = bot.sent("SendMessage")[mark:]
    assert answers
    assert all(r.reply_markup is None for r in answers)


async def test_admin_grants_and_revokes_the_curator_role_by_command(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    admin = await started_chat(dispatcher, bot, 8213)
    await make_admin(session_pool, admin)
    teacher = await started_chat(dispatcher, bot, 8214)
    teacher_id = await user_id_of(session_pool, teacher)
    await admin.send("/curator grant 8214 region almaty astana")
    assert await scope_of(session_pool, teacher_id) == Scope(
        kind="region", regions=("almaty", "astana")
    )
    await admin.send("/curators")
    assert "8214" in admin.last_text()
    await admin.send("/curator grant 8214 region atlantis")  # unknown: nothing changes
    assert (await scope_of(session_pool, teacher_id)).regions == ("almaty", "astana")
    await admin.send("/curator revoke 8214")
    with pytest.raises(NotCuratorError):
        await scope_of(session_pool, teacher_id)
    await admin.send("/curator grant @Teacher8214")  # by @username, any case: everyone
    assert (await scope_of(session_pool, teacher_id)).kind == "everyone"


async def test_non_admin_cannot_grant_and_learns_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    curator = await started_chat(dispatcher, bot, 8215)
    await make_curator(session_pool, curator)
    teacher = await started_chat(dispatcher, bot, 8216)
    teacher_id = await user_id_of(session_pool, teacher)
    await curator.send("/curator grant 8216")
    refusal = curator.last_text()
    await curator.send("/nosuchcommand")
    assert curator.last_text() == refusal  # the same answer as an unknown command
    await curator.send("/curators")
    assert curator.last_text() == refusal
    with pytest.raises(NotCuratorError):
        await scope_of(session_pool, teacher_id)


async def test_a_half_composed_broadcast_survives_a_restart(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
) -> None:
    chat = await started_chat(dispatcher, bot, 8217)
    await make_curator(session_pool, chat)
    await add_people(session_pool, 2)
    await compose_text(chat, "Перед перезапуском")
    # A new process: a fresh dispatcher over the same database.
    chat.dispatcher = create_dispatcher(
        settings=settings,
        session_pool=session_pool,
        ruleset=ruleset,
        i18n=create_i18n(settings),
        storage=SqlStorage(session_pool),
    )
    await chat.press_data("bk:preview:")
    assert count_in(chat.last_screen().text) == 3
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.content["ru"]["text"] == "Перед перезапуском"


async def test_a_post_the_bot_cannot_copy_is_asked_for_again(
    dispatcher: Dispatcher,
    bot: MockedBot,
    session_pool: SessionPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = await started_chat(dispatcher, bot, 8218)
    await make_curator(session_pool, chat)
    answer = bot.session._result

    def no_access(method: TelegramMethod[Any]) -> Any:
        if type(method).__name__ == "CopyMessage":
            raise TelegramBadRequest(method=method, message="Bad Request: chat not found")
        return answer(method)

    monkeypatch.setattr(bot.session, "_result", no_access)
    await chat.send("/broadcast")
    await forward_channel_post(chat, -1009999, 5, "Пост")
    await chat.press_data("bk:skip:")
    await chat.press_data("bk:topic:news")
    await chat.press_data("bk:preview:")
    key = StorageKey(bot_id=bot.id, chat_id=chat.user.id, user_id=chat.user.id)
    storage = SqlStorage(session_pool)
    assert await storage.get_state(key) == "BroadcastStates:content"
    assert (await storage.get_data(key))["bcast"]["content"] == {}
    await chat.press_data("bk:send:")  # stale now: nothing is created
    assert await broadcasts_of(session_pool) == []


async def test_organisation_curator_picks_among_their_organisations_only(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    async with session_pool() as session:
        mine = await staff.create_organisation(
            session=session, name="Астана политехникалық колледжі", kind="tvet", region="astana"
        )
        second = await staff.create_organisation(
            session=session, name="Колледж №2", kind="tvet", region="astana"
        )
        foreign = await staff.create_organisation(
            session=session, name="Алматы колледжі", kind="tvet", region="almaty"
        )
    assert mine.id
    assert second.id
    assert foreign.id
    chat = await started_chat(dispatcher, bot, 8219)
    await make_curator(
        session_pool, chat, Scope(kind="orgs", organisation_ids=(mine.id, second.id))
    )
    await add_members(session_pool, mine.id, 2)
    await add_members(session_pool, second.id, 1)
    await add_members(session_pool, foreign.id, 4)
    await compose_text(chat)
    data = [d for _, d in chat.buttons()]
    assert not any(d.startswith("bk:regs") for d in data)  # narrowed by organisation instead
    await chat.press_data("bk:orgs:")
    offered = {d: t for t, d in chat.buttons() if d.startswith("bk:org:")}
    assert set(offered) == {f"bk:org:{mine.id}", f"bk:org:{second.id}"}
    assert "Астана политехникалық колледжі" in offered[f"bk:org:{mine.id}"]
    await chat.press_data(f"bk:org:{foreign.id}")  # forged
    await chat.press_data(f"bk:org:{mine.id}")
    await chat.press_data("bk:preview:")
    assert count_in(chat.last_screen().text) == 2
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.audience["organisation_ids"] == [mine.id]
    assert len(await outbox_of(session_pool, created.id or 0)) == 2


async def test_categories_narrow_the_audience(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8220)
    await make_curator(session_pool, chat)
    experts = await add_people(session_pool, 2)
    await set_category(session_pool, experts, "pedagog_expert")
    await set_category(session_pool, await add_people(session_pool, 3), "pedagog")
    await compose_text(chat)
    await chat.press_data("bk:cats:")
    assert "bk:cat:pedagog_expert" in [d for _, d in chat.buttons()]
    await chat.press_data("bk:cat:no_such_category")  # forged: ignored
    await chat.press_data("bk:cat:pedagog_expert")
    await chat.press_data("bk:aud:")
    await chat.press_data("bk:preview:")
    assert count_in(chat.last_screen().text) == 2


async def test_post_to_a_registered_channel(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8221)
    curator_id = await make_curator(session_pool, chat)
    async with session_pool() as session:
        channel = await channels.register_channel(
            session, -1001111, "ZHASTALAP", "channel", "zhastalap", curator_id
        )
    await compose_text(chat)
    await chat.press_data("bk:chans:")
    assert f"bk:chan:{channel.id}" in [d for _, d in chat.buttons()]
    await chat.press_data("bk:chan:424242")  # forged: not a channel of theirs
    assert await broadcasts_of(session_pool) == []
    await chat.press_data(f"bk:chan:{channel.id}")
    preview = [r for r in bot.sent("SendMessage") if "Жаңалық" in str(r.text)][-1]
    assert preview.reply_markup is None  # no unsubscribe button in a channel
    await chat.press_data("bk:send:")
    [created] = await broadcasts_of(session_pool)
    assert created.channel_id == channel.id
    [row] = await outbox_of(session_pool, created.id or 0)
    assert row.user_id is None
    assert row.chat_id == -1001111
    assert row.dedupe_key == f"bc:{created.id}:chat:-1001111"


async def test_the_rest_of_an_album_is_not_taken_for_the_second_variant(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    chat = await started_chat(dispatcher, bot, 8222)
    await make_curator(session_pool, chat)
    await chat.send("/broadcast")
    await send_photo(chat, "ALBUM-1", caption="Фотоальбом", album="g1")
    await send_photo(chat, "ALBUM-2", album="g1")
    await send_photo(chat, "ALBUM-3", album="g1")
    key = StorageKey(bot_id=bot.id, chat_id=chat.user.id, user_id=chat.user.id)
    storage = SqlStorage(session_pool)
    content = (await storage.get_data(key))["bcast"]["content"]
    assert list(content) == ["ru"]
    assert content["ru"]["file_id"] == "ALBUM-1"
    assert content["ru"]["caption"] == "Фотоальбом"
    assert await storage.get_state(key) == "BroadcastStates:second"
