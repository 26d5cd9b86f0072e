"""Channels in the bot; the monthly duty and its submissions are ``bot.handlers.duty``, whose
router this module's ``create_router`` includes.

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
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.channels import registration as channels
from backend.models import Channel, Organisation, UserRead
from bot.flow import show
from bot.handlers import duty
from bot.keyboards.channels import (
    ChannelCallback,
    ChannelOrgCallback,
    channel_keyboard,
    channels_keyboard,
    organisations_keyboard,
)
from bot.screens import Screen

GROUP_TYPES = {ChatType.CHANNEL, ChatType.GROUP, ChatType.SUPERGROUP}
ADMIN_STATUSES = {"administrator", "creator"}


class ChannelStates(StatesGroup):
    link = State()  # a typed t.me link; data: channel id and which link
    organisation = State()  # a typed organisation name or number; data: channel id


def _not_curator() -> str:
    return _("Sorry, this is for curators only. An admin can make you a curator.")


def _not_manageable() -> str:
    return _("That channel is not one you can manage.")


# --- registration ------------------------------------------------------------------------------
async def _tell(bot: Bot, chat_id: int, text: str) -> None:
    # A person who never opened the bot cannot be written to: then nobody is told.
    with contextlib.suppress(TelegramAPIError):
        await bot.send_message(chat_id, text)


async def bot_membership_changed(update: ChatMemberUpdated, bot: Bot, **deps: Any) -> None:
    session: AsyncSession = deps["session"]
    chat = update.chat
    if update.new_chat_member.status not in ADMIN_STATUSES:
        await channels.deactivate(session, chat.id)
        return
    user: UserRead | None = deps.get("user")
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


async def group_migrated(message: Message, **deps: Any) -> None:
    assert message.migrate_to_chat_id is not None
    await channels.migrate_chat(deps["session"], message.chat.id, message.migrate_to_chat_id)


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
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, **deps: Any
) -> None:
    """The menu item of this section (from the main menu): the curator's channels."""
    await state.set_state(None)
    screen = await _list_screen(deps["session"], deps["user"])
    if screen is None:
        target = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(target, Message):
            await target.answer(_not_curator())
        return
    await show(event, screen, new=new)


async def channels_command(message: Message, state: FSMContext, **deps: Any) -> None:
    await open_section(message, state, new=True, **deps)


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


async def channel_action(
    query: CallbackQuery,
    callback_data: ChannelCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    session: AsyncSession = deps["session"]
    user: UserRead = deps["user"]
    if callback_data.a == "list":
        await open_section(query, state, **deps)
        return
    try:
        channel = await channels.get_channel(session, callback_data.id, user.id)
    except (channels.ChannelNotFoundError, channels.ChannelAccessError):
        callback_answer.text = _not_manageable()
        callback_answer.show_alert = True
        return
    if callback_data.a in ("lnk", "cht"):
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
    elif callback_data.a == "org":
        await state.set_state(ChannelStates.organisation)
        await state.update_data(channel_id=channel.id)
        await show(
            query,
            Screen(_("Type a part of the organisation's name (or its number):")),
            new=True,
        )
    else:
        await state.set_state(None)
        await show(query, await _channel_screen(session, channel))


async def link_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    session: AsyncSession = deps["session"]
    data = await state.get_data()
    text = (message.text or "").strip()
    value = "" if text == "-" else text
    try:
        channel = await channels.set_links(
            session,
            int(data["channel_id"]),
            value if data.get("link") == "channel" else None,
            value if data.get("link") == "chat" else None,
            actor_id=deps["user"].id,
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


async def organisation_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    session: AsyncSession = deps["session"]
    user: UserRead = deps["user"]
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
    **deps: Any,
) -> None:
    session: AsyncSession = deps["session"]
    try:
        channel = await channels.set_organisation(
            session, callback_data.id, callback_data.org or None, actor_id=deps["user"].id
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
    router.callback_query.register(channel_action, ChannelCallback.filter())
    router.callback_query.register(organisation_chosen, ChannelOrgCallback.filter())
    router.include_router(duty.create_router())
    return router
