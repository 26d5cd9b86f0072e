"""Registering channels through my_chat_member, /channels, links and organisations."""

from __future__ import annotations

from aiogram import Dispatcher

from backend.channels import registration as channels
from backend.db import SessionPool
from testing.chat import Chat
from testing.mocked_bot import MockedBot
from tests.channels.helpers import (
    bot_member_update,
    channels_by_chat,
    make_channel,
    make_org,
    make_user,
    migrated_update,
)

CHANNEL = -1001234567890
EVERYONE = {"kind": "everyone"}


async def test_a_curator_making_the_bot_admin_registers_the_channel(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    curator = await make_user(session_pool, 9001, roles=("curator",), scope=EVERYONE)
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9001, promoted=True))
    stored = (await channels_by_chat(session_pool))[CHANNEL]
    assert (stored.active, stored.kind, stored.title) == (True, "channel", "ZHASTALAP")
    assert stored.registered_by == curator
    [told] = bot.sent("SendMessage")
    assert told.chat_id == 9001
    assert "/channels" in told.text


async def test_a_stranger_cannot_register_and_is_told_privately(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9002)  # a teacher, no curator role
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9002, promoted=True))
    assert await channels_by_chat(session_pool) == {}
    [told] = bot.sent("SendMessage")
    assert told.chat_id == 9002
    assert "only curators" in told.text


async def test_a_stranger_changing_rights_in_a_registered_channel_is_told_nothing(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    curator = await make_user(session_pool, 9010, roles=("curator",), scope=EVERYONE)
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9010, promoted=True))
    told_curator = len(bot.sent("SendMessage"))
    await make_user(session_pool, 9011)  # a channel owner who is not a curator
    # the bot's rights edited by the stranger: it is still an administrator there
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9011, promoted=True))
    assert len(bot.sent("SendMessage")) == told_curator  # no "I will not post there"
    stored = (await channels_by_chat(session_pool))[CHANNEL]
    assert (stored.active, stored.registered_by) == (True, curator)


async def test_demotion_and_removal_deactivate_and_promotion_reactivates(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9003, roles=("admin",))
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9003, promoted=True))
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9003, promoted=False))
    assert (await channels_by_chat(session_pool))[CHANNEL].active is False
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 9003, promoted=True))
    assert (await channels_by_chat(session_pool))[CHANNEL].active is True
    # anyone removing the bot deactivates: it can no longer post there
    await dispatcher.feed_update(bot, bot_member_update(CHANNEL, 7777, promoted=False, left=True))
    assert (await channels_by_chat(session_pool))[CHANNEL].active is False
    assert len(await channels_by_chat(session_pool)) == 1


async def test_a_group_migrating_to_a_supergroup_keeps_its_registration(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9004, roles=("curator",), scope=EVERYONE)
    await dispatcher.feed_update(
        bot, bot_member_update(-4001, 9004, promoted=True, chat_type="group", title="Chat")
    )
    await dispatcher.feed_update(bot, migrated_update(-4001, -1004001, 9004))
    stored = await channels_by_chat(session_pool)
    assert list(stored) == [-1004001]
    assert stored[-1004001].kind == "supergroup"


async def test_channels_command_is_for_curators_only(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9005)
    await make_channel(session_pool, CHANNEL)
    chat = Chat(dispatcher, bot, user_id=9005)
    await chat.send("/channels")
    assert "curators only" in chat.last_text()
    assert not any(getattr(r, "reply_markup", None) for r in bot.sent("SendMessage"))


async def test_links_are_validated_normalised_and_removable(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9006, roles=("curator",), scope=EVERYONE)
    channel_id = await make_channel(session_pool, CHANNEL)
    chat = Chat(dispatcher, bot, user_id=9006)
    await chat.send("/channels")
    assert chat.buttons() == [(f"Channel {CHANNEL}", f"ch:open:{channel_id}")]
    await chat.press(f"Channel {CHANNEL}")
    await chat.press("Channel link")
    await chat.send("https://example.com/zhastalap")
    assert "not a Telegram link" in chat.last_text()
    assert (await channels_by_chat(session_pool))[CHANNEL].links == {}
    await chat.send("t.me/zhastalapeducation")  # still waiting for the link: nothing was lost
    await chat.press("Chat link")
    await chat.send("https://telegram.me/+AbCdEf123")
    assert (await channels_by_chat(session_pool))[CHANNEL].links == {
        "channel": "https://t.me/zhastalapeducation",
        "chat": "https://t.me/+AbCdEf123",
    }
    assert "https://t.me/+AbCdEf123" in chat.last_screen().text
    await chat.press("Chat link")
    await chat.send("-")
    assert (await channels_by_chat(session_pool))[CHANNEL].links == {
        "channel": "https://t.me/zhastalapeducation"
    }


async def test_a_region_curator_sees_and_manages_only_channels_in_the_region(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    curator = await make_user(
        session_pool, 9007, roles=("curator",), scope={"kind": "region", "regions": ["abai"]}
    )
    ours = await make_org(session_pool, "Семей колледжі", "abai")
    theirs = await make_org(session_pool, "Ақтөбе колледжі", "aktobe")
    mine = await make_channel(session_pool, -1001, organisation_id=ours)
    other = await make_channel(session_pool, -1002, organisation_id=theirs)
    national = await make_channel(session_pool, -1003)
    async with session_pool() as session:
        assert [c.id for c in await channels.list_channels(session, curator)] == [mine]
    chat = Chat(dispatcher, bot, user_id=9007)
    await chat.send("/channels")
    assert [data for _text, data in chat.buttons()] == [f"ch:open:{mine}"]
    # forged ids: another region's channel and the national one grant nothing
    for forged in (other, national):
        await chat.press_data(f"ch:lnk:{forged}")
        assert bot.sent("AnswerCallbackQuery")[-1].show_alert is True
    await chat.press_data(f"cho:{mine}:{theirs}")  # attach to an organisation out of scope
    await chat.press_data(f"cho:{mine}:0")  # or detach (would make it national)
    stored = await channels_by_chat(session_pool)
    assert stored[-1001].organisation_id == ours
    assert stored[-1002].links == {}
    assert stored[-1003].links == {}
    # searching organisations only finds those in scope; choosing one attaches it
    await chat.press_data(f"ch:org:{mine}")
    await chat.send("колледж")
    assert [data for _text, data in chat.buttons()] == [f"cho:{mine}:{ours}", f"ch:open:{mine}"]
    await chat.send("Ақтөбе")
    assert "No organisation in your scope" in chat.last_text()


async def test_an_everyone_curator_attaches_a_channel_to_an_organisation(
    dispatcher: Dispatcher, bot: MockedBot, session_pool: SessionPool
) -> None:
    await make_user(session_pool, 9008, roles=("curator",), scope=EVERYONE)
    org = await make_org(session_pool, "Алматы политехникалық колледжі", "almaty_region")
    channel_id = await make_channel(session_pool, CHANNEL)
    chat = Chat(dispatcher, bot, user_id=9008)
    await chat.press_data(f"ch:org:{channel_id}")
    await chat.send("ПОЛИТЕХНИКАЛЫҚ")
    await chat.press("Алматы")
    assert (await channels_by_chat(session_pool))[CHANNEL].organisation_id == org
    await chat.press_data(f"cho:{channel_id}:0")
    assert (await channels_by_chat(session_pool))[CHANNEL].organisation_id is None
