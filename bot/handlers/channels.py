"""Channels and the monthly duty in the bot.

* ``my_chat_member``: the bot made an administrator of a channel or group by a curator or admin
  registers it; by anyone else it is not registered (they are told privately when possible);
  the bot losing the right deactivates it. A group becoming a supergroup keeps its registration.
* ``/channels`` (curators): the channels they may post to, their public links and organisation.
* ``/duty`` (an organisation's head or HR): the monthly duty day and the responsible employee.
* "Send material" under a duty reminder: the next message becomes a submission for review;
  curators relay it to a channel or reject it with the buttons under it.

Who may do what is decided by ``backend.services.channels`` and ``backend.services.duty``; the
user is always the Telegram sender, callback data only names ids.
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

from backend.models import Channel, Organisation, UserRead
from backend.models.types import utcnow
from backend.services import channels, duty
from backend.settings import Settings
from bot.flow import show
from bot.keyboards.channels import (
    ChannelCallback,
    ChannelOrgCallback,
    DutyCallback,
    DutySetCallback,
    RelayCallback,
    SubmissionCallback,
    channel_keyboard,
    channels_keyboard,
    duty_keyboard,
    members_keyboard,
    organisations_duty_keyboard,
    organisations_keyboard,
    relay_keyboard,
)
from bot.screens import Screen

GROUP_TYPES = {ChatType.CHANNEL, ChatType.GROUP, ChatType.SUPERGROUP}
ADMIN_STATUSES = {"administrator", "creator"}
MEMBERS_SHOWN = 30


class ChannelStates(StatesGroup):
    link = State()  # a typed t.me link; data: channel id and which link
    organisation = State()  # a typed organisation name or number; data: channel id


class DutyStates(StatesGroup):
    day = State()  # a typed day 1–28; data: organisation id
    material = State()  # the next message is the material; data: organisation id


def _not_curator() -> str:
    return _("Sorry, this is for curators only. An admin can make you a curator.")


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
        callback_answer.text = _("That channel is not one you can manage.")
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
        await message.answer(_("That channel is not one you can manage."))
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


# --- /duty -------------------------------------------------------------------------------------
async def _duty_screen(session: AsyncSession, organisation: Organisation) -> Screen:
    assert organisation.id is not None
    responsible = None
    if organisation.responsible_user_id is not None:
        for person, _role in await duty.members(session, organisation.id):
            if person.id == organisation.responsible_user_id:
                responsible = person.full_name or person.username or str(person.telegram_id)
    text = "\n".join(
        [
            f"<b>{escape(organisation.name)}</b>",
            _(
                "Once a month the responsible employee sends the college's news for the "
                "channel. On the duty day, if nothing was sent that month, I remind them."
            ),
            _("Duty day: {day}").format(
                day=organisation.duty_day if organisation.duty_day else _("not set")
            ),
            _("Responsible: {name}").format(
                name=escape(responsible) if responsible else _("not set")
            ),
        ]
    )
    return Screen(text, duty_keyboard(organisation.id))


async def duty_command(message: Message, state: FSMContext, **deps: Any) -> None:
    await state.set_state(None)
    session: AsyncSession = deps["session"]
    mine = await duty.staff_organisations(session, deps["user"].id)
    if not mine:
        await message.answer(
            _("Sorry, only an organisation's head or HR can set the monthly duty.")
        )
        return
    if len(mine) == 1:
        await show(message, await _duty_screen(session, mine[0]), new=True)
        return
    await show(
        message,
        Screen(_("Choose the organisation:"), organisations_duty_keyboard(mine)),
        new=True,
    )


async def duty_action(
    query: CallbackQuery,
    callback_data: DutySetCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    session: AsyncSession = deps["session"]
    user: UserRead = deps["user"]
    mine = {o.id: o for o in await duty.staff_organisations(session, user.id)}
    organisation = mine.get(callback_data.org)
    if organisation is None:
        callback_answer.text = _(
            "Sorry, only an organisation's head or HR can set the monthly duty."
        )
        callback_answer.show_alert = True
        return
    action = callback_data.a
    if action == "day":
        await state.set_state(DutyStates.day)
        await state.update_data(organisation_id=organisation.id)
        await show(query, Screen(_("Type the day of the month, from 1 to 28:")), new=True)
        return
    if action in ("me", "pick"):
        responsible = user.id if action == "me" else callback_data.user
        try:
            organisation = await duty.set_duty(
                session,
                callback_data.org,
                organisation.duty_day,
                responsible,
                actor_id=user.id,
            )
        except (duty.DutyInputError, duty.DutyAccessError):
            callback_answer.text = _("That person is not on the organisation's staff.")
            callback_answer.show_alert = True
            return
    elif action == "who":
        people = [p for p, _role in await duty.members(session, callback_data.org)]
        await show(
            query,
            Screen(
                _("Who is responsible?"),
                members_keyboard(callback_data.org, people[:MEMBERS_SHOWN]),
            ),
        )
        return
    await state.set_state(None)
    await show(query, await _duty_screen(session, organisation))


async def day_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    session: AsyncSession = deps["session"]
    organisation_id = int((await state.get_data())["organisation_id"])
    text = (message.text or "").strip()
    organisation = await session.get(Organisation, organisation_id)
    if not text.isdigit() or organisation is None:
        await message.answer(_("Please type a number from 1 to 28."))
        return
    try:
        organisation = await duty.set_duty(
            session,
            organisation_id,
            int(text),
            organisation.responsible_user_id,
            actor_id=deps["user"].id,
        )
    except duty.DutyInputError:
        await message.answer(_("Please type a number from 1 to 28."))
        return
    except duty.DutyAccessError:
        await state.set_state(None)
        await message.answer(
            _("Sorry, only an organisation's head or HR can set the monthly duty.")
        )
        return
    await state.set_state(None)
    await show(message, await _duty_screen(session, organisation), new=True)


# --- submissions -------------------------------------------------------------------------------
async def send_material(
    query: CallbackQuery,
    callback_data: DutyCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    try:
        organisation = await duty.may_submit(
            deps["session"], deps["user"].id, callback_data.org_id
        )
    except duty.DutyAccessError:
        callback_answer.text = _(
            "Sorry, only the organisation's responsible employee can do this."
        )
        callback_answer.show_alert = True
        return
    await state.set_state(DutyStates.material)
    await state.update_data(organisation_id=organisation.id)
    await show(
        query,
        Screen(
            _(
                "Send me the material for «{name}» now: a text, a photo, a document or a "
                "forwarded channel post. A curator reviews it before it goes to the channel."
            ).format(name=escape(organisation.name))
        ),
        new=True,
    )


async def material_received(message: Message, state: FSMContext, **deps: Any) -> None:
    settings: Settings = deps["settings"]
    organisation_id = int((await state.get_data())["organisation_id"])
    await state.set_state(None)
    try:
        _submission, curators = await duty.submit(
            deps["session"],
            organisation_id=organisation_id,
            user_id=deps["user"].id,
            source_chat_id=message.chat.id,
            source_message_id=message.message_id,
            now=utcnow(),
            settings=settings,
        )
    except duty.DutyAccessError:
        await message.answer(_("Sorry, only the organisation's responsible employee can do this."))
        return
    except duty.DuplicateSubmissionError:
        await message.answer(_("This message is already submitted."))
        return
    if curators:
        await message.answer(_("✅ Thank you! The material is sent to the curator for review."))
    else:
        await message.answer(
            _("The material is saved, but no curator serves your organisation yet.")
        )


async def submission_action(
    query: CallbackQuery,
    callback_data: SubmissionCallback,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    session: AsyncSession = deps["session"]
    user: UserRead = deps["user"]
    try:
        if callback_data.action == "x":
            await duty.reject(session, callback_data.id, user.id, utcnow())
            callback_answer.text = _("Rejected: the employee is told.")
            return
        found = await duty.review(session, callback_data.id, user.id)
    except (duty.DutyAccessError, duty.SubmissionNotFoundError):
        callback_answer.text = _("Sorry, this material is outside what you can review.")
        callback_answer.show_alert = True
        return
    except duty.SubmissionStateError:
        callback_answer.text = _("This material was already reviewed.")
        callback_answer.show_alert = True
        return
    if found.submission.status == "rejected":
        callback_answer.text = _("This material was already reviewed.")
        callback_answer.show_alert = True
        return
    targets = await channels.list_channels(session, user.id)
    if not targets:
        callback_answer.text = _("There is no channel you can post to yet.")
        callback_answer.show_alert = True
        return
    assert found.submission.id is not None
    await show(
        query,
        Screen(
            _("Post the material of «{name}» to which channel?").format(
                name=escape(found.organisation.name)
            ),
            relay_keyboard(found.submission.id, targets),
        ),
        new=True,
    )


async def relay_chosen(
    query: CallbackQuery,
    callback_data: RelayCallback,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    try:
        fresh = await duty.relay(
            deps["session"], callback_data.id, callback_data.ch, deps["user"].id, utcnow()
        )
    except (duty.DutyAccessError, duty.SubmissionNotFoundError):
        callback_answer.text = _("Sorry, this material is outside what you can review.")
        callback_answer.show_alert = True
        return
    except duty.SubmissionStateError:
        callback_answer.text = _("This material was already reviewed.")
        callback_answer.show_alert = True
        return
    callback_answer.text = (
        _("✅ Queued for posting to the channel.")
        if fresh
        else _("It is already queued for that channel.")
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(bot_membership_changed, F.chat.type.in_(GROUP_TYPES))
    router.message.register(group_migrated, F.migrate_to_chat_id)
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(channels_command, Command("channels"), private)
    router.message.register(duty_command, Command("duty"), private)
    router.message.register(link_typed, ChannelStates.link, private, F.text)
    router.message.register(organisation_typed, ChannelStates.organisation, private, F.text)
    router.message.register(day_typed, DutyStates.day, private, F.text)
    # A command typed meanwhile is a command, not material (other routers or the fallback).
    not_command = ~F.text.startswith("/")
    router.message.register(material_received, DutyStates.material, private, not_command)
    router.callback_query.register(channel_action, ChannelCallback.filter())
    router.callback_query.register(organisation_chosen, ChannelOrgCallback.filter())
    router.callback_query.register(duty_action, DutySetCallback.filter())
    router.callback_query.register(send_material, DutyCallback.filter())
    router.callback_query.register(submission_action, SubmissionCallback.filter())
    router.callback_query.register(relay_chosen, RelayCallback.filter())
    return router
