"""Channels in the bot; the monthly duty and its submissions are next door in ``duty``
(the package joins both routers).

* ``my_chat_member``: the bot made an administrator of a channel or group by a curator or admin
  registers it; by anyone else it is not registered (they are told privately when possible,
  unless a curator already registered it: then it stays as it is and nobody is told); the bot
  losing the right deactivates it. A group becoming a supergroup keeps its registration.
* ``/channels`` (curators): the channels they may post to, their public links and organisation.

Who may do what is decided by ``backend.channels.registration``; the user is always the Telegram
sender, callback data only names ids.
"""

from __future__ import annotations

import contextlib
from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.channels import registration as channels
from backend.models import Channel, Organisation, UserRead
from bot.context import BotContext
from bot.handlers.channels.keyboards import (
    ChannelCallback,
    ChannelOrgCallback,
    channel_keyboard,
    channels_keyboard,
    organisations_keyboard,
)
from bot.handlers.channels.states import ChannelStates
from bot.shared.screen import Screen, show

GROUP_TYPES = {ChatType.CHANNEL, ChatType.GROUP, ChatType.SUPERGROUP}
ADMIN_STATUSES = {"administrator", "creator"}


def _not_curator() -> str:
    return _("Sorry, this is for curators only. An admin can make you a curator.")


def _not_manageable() -> str:
    return _("That channel is not one you can manage.")


# --- registration ------------------------------------------------------------------------------
async def _tell(bot: Bot, chat_id: int, text: str) -> None:
    # A person who never opened the bot cannot be written to: then nobody is told.
    with contextlib.suppress(TelegramAPIError):
        await bot.send_message(chat_id, text)


async def bot_membership_changed(
    update: ChatMemberUpdated, bot: Bot, session: AsyncSession, user: UserRead | None = None
) -> None:
    chat = update.chat
    if update.new_chat_member.status not in ADMIN_STATUSES:
        await channels.deactivate(session, chat.id)
        return
    title = chat.title or chat.username or str(chat.id)
    if user is None:
        return
    try:
        await channels.register_channel(
            session, chat.id, title, str(chat.type), chat.username, registered_by=user.id
        )
    except channels.ChannelAccessError:
        if await channels.is_registered(session, chat.id):
            # Someone else changed the bot's rights in a channel a curator registered: it
            # stays registered and active, so "I will not post there" would be untrue.
            return
        await _tell(
            bot,
            update.from_user.id,
            _(
                "I was made an administrator of «{title}», but only curators can register "
                "channels, so I will not post there. Ask an admin to make you a curator."
            ).format(title=escape(title)),
        )
        return
    await _tell(
        bot,
        update.from_user.id,
        _(
            "✅ «{title}» is registered: curators can post there. Set its links in /channels."
        ).format(title=escape(title)),
    )


async def group_migrated(message: Message, session: AsyncSession) -> None:
    assert message.migrate_to_chat_id is not None
    await channels.migrate_chat(session, message.chat.id, message.migrate_to_chat_id)


# --- /channels ---------------------------------------------------------------------------------
async def _list_screen(session: AsyncSession, user: UserRead) -> Screen | None:
    if await channels.reach_of(session, user.id) is None:
        return None
    found = await channels.list_channels(session, user.id)
    if not found:
        return Screen(
            _(
                "No channels yet. Add me to a channel or group as an administrator, and it "
                "appears here."
            )
        )
    return Screen(
        _("Channels and groups you can post to ({count}). Choose one:").format(count=len(found)),
        channels_keyboard(found),
    )


async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, ctx: BotContext
) -> None:
    """The menu item of this section (from the main menu): the curator's channels."""
    await state.set_state(None)
    screen = await _list_screen(ctx.session, ctx.user)
    if screen is None:
        target = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(target, Message):
            await target.answer(_not_curator())
        return
    await show(event, screen, new=new)


async def channels_command(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await open_section(message, state, new=True, ctx=ctx)


async def _channel_screen(session: AsyncSession, channel: Channel) -> Screen:
    organisation = (
        await session.get(Organisation, channel.organisation_id)
        if channel.organisation_id
        else None
    )
    links = channel.links or {}
    none = _("not set")
    text = "\n".join(
        [
            f"<b>{escape(channel.title)}</b>"
            + ("" if channel.active else " — " + _("I am no longer an administrator there")),
            _("Organisation: {name}").format(
                name=escape(organisation.name) if organisation else _("none (national)")
            ),
            _("Channel link: {link}").format(link=escape(links.get("channel", none))),
            _("Chat link: {link}").format(link=escape(links.get("chat", none))),
        ]
    )
    return Screen(text, channel_keyboard(channel))


async def channels_list(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await open_section(query, state, ctx=ctx)


async def _manageable(
    callback_data: ChannelCallback, callback_answer: CallbackAnswer, ctx: BotContext
) -> Channel | None:
    """The channel of the button, if the user may manage it; else None, after saying so."""
    try:
        return await channels.get_channel(ctx.session, callback_data.id, ctx.user.id)
    except (channels.ChannelNotFoundError, channels.ChannelAccessError):
        callback_answer.text = _not_manageable()
        callback_answer.show_alert = True
        return None


async def channel_link(
    query: CallbackQuery,
    callback_data: ChannelCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """Ask for the channel's ("lnk") or its chat's ("cht") public link."""
    channel = await _manageable(callback_data, callback_answer, ctx)
    if channel is None:
        return
    await state.set_state(ChannelStates.link)
    await state.update_data(
        channel_id=channel.id, link="channel" if callback_data.a == "lnk" else "chat"
    )
    await show(
        query,
        Screen(
            _(
                "Type the public link, like https://t.me/zhastalap or https://t.me/+AbCdEf12. "
                "Type - to remove it."
            )
        ),
        new=True,
    )


async def channel_organisation(
    query: CallbackQuery,
    callback_data: ChannelCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    channel = await _manageable(callback_data, callback_answer, ctx)
    if channel is None:
        return
    await state.set_state(ChannelStates.organisation)
    await state.update_data(channel_id=channel.id)
    await show(
        query,
        Screen(_("Type a part of the organisation's name (or its number):")),
        new=True,
    )


async def channel_open(
    query: CallbackQuery,
    callback_data: ChannelCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """The channel's screen (any other action, from an older version, too)."""
    channel = await _manageable(callback_data, callback_answer, ctx)
    if channel is None:
        return
    await state.set_state(None)
    await show(query, await _channel_screen(ctx.session, channel))


async def link_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    session: AsyncSession = ctx.session
    data = await state.get_data()
    text = (message.text or "").strip()
    value = "" if text == "-" else text
    try:
        channel = await channels.set_links(
            session,
            int(data["channel_id"]),
            value if data.get("link") == "channel" else None,
            value if data.get("link") == "chat" else None,
            actor_id=ctx.user.id,
        )
    except channels.LinkError:
        await message.answer(
            _(
                "That is not a Telegram link. Please type it like https://t.me/zhastalap "
                "(or - to remove the link)."
            )
        )
        return
    except (channels.ChannelNotFoundError, channels.ChannelAccessError):
        await state.set_state(None)
        await message.answer(_not_manageable())
        return
    await state.set_state(None)
    await show(message, await _channel_screen(session, channel), new=True)


async def organisation_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    session: AsyncSession = ctx.session
    user: UserRead = ctx.user
    data = await state.get_data()
    channel_id = int(data["channel_id"])
    try:
        found = await channels.search_organisations(session, user.id, message.text or "")
    except channels.ChannelAccessError:
        await state.set_state(None)
        await message.answer(_not_curator())
        return
    scope = await channels.reach_of(session, user.id)
    detach = scope is not None and scope.kind == "everyone"
    if not found:
        await message.answer(
            _("No organisation in your scope matches that. Try another part of the name.")
        )
        return
    await show(
        message,
        Screen(
            _("Choose the organisation:"),
            organisations_keyboard(channel_id, found, detach=detach),
        ),
        new=True,
    )


async def organisation_chosen(
    query: CallbackQuery,
    callback_data: ChannelOrgCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    session: AsyncSession = ctx.session
    try:
        channel = await channels.set_organisation(
            session, callback_data.id, callback_data.org or None, actor_id=ctx.user.id
        )
    except (channels.ChannelNotFoundError, channels.ChannelAccessError):
        callback_answer.text = _("That is outside what you can manage.")
        callback_answer.show_alert = True
        return
    await state.set_state(None)
    await show(query, await _channel_screen(session, channel))


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(bot_membership_changed, F.chat.type.in_(GROUP_TYPES))
    router.message.register(group_migrated, F.migrate_to_chat_id)
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(channels_command, Command("channels"), private)
    router.message.register(link_typed, ChannelStates.link, private, F.text)
    router.message.register(organisation_typed, ChannelStates.organisation, private, F.text)
    router.callback_query.register(channels_list, ChannelCallback.filter(F.a == "list"))
    router.callback_query.register(channel_link, ChannelCallback.filter(F.a.in_(("lnk", "cht"))))
    router.callback_query.register(channel_organisation, ChannelCallback.filter(F.a == "org"))
    router.callback_query.register(channel_open, ChannelCallback.filter())
    router.callback_query.register(organisation_chosen, ChannelOrgCallback.filter())
    return router
