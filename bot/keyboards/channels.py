"""Callback data and keyboards of the channel, duty and submission screens (ids only)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.models import Channel, Organisation, User
from bot.screens import short


class ChannelCallback(CallbackData, prefix="ch"):
    a: str  # list | open | lnk (channel link) | cht (chat link) | org (organisation)
    id: int = 0


class ChannelOrgCallback(CallbackData, prefix="cho"):
    id: int  # the channel
    org: int  # the organisation; 0 detaches


class DutyCallback(CallbackData, prefix="duty"):
    """ "Send material" under a duty reminder: ``duty:<organisation id>``."""

    org_id: int


class DutySetCallback(CallbackData, prefix="dset"):
    a: str  # open | day | me | who | pick
    org: int
    user: int = 0


class SubmissionCallback(CallbackData, prefix="sub"):
    """Review buttons under a submission: ``sub:r:<id>`` relay, ``sub:x:<id>`` reject."""

    action: str
    id: int


class RelayCallback(CallbackData, prefix="subc"):
    id: int  # the submission
    ch: int  # the channel


def channels_keyboard(channels: Sequence[Channel]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for channel in channels:
        assert channel.id is not None
        builder.button(
            text=short(channel.title), callback_data=ChannelCallback(a="open", id=channel.id)
        )
    builder.adjust(1)
    return builder.as_markup()


def channel_keyboard(channel: Channel) -> InlineKeyboardMarkup:
    assert channel.id is not None
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🔗 Channel link"), callback_data=ChannelCallback(a="lnk", id=channel.id)
    )
    builder.button(text=_("💬 Chat link"), callback_data=ChannelCallback(a="cht", id=channel.id))
    builder.button(
        text=_("🏫 Organisation"), callback_data=ChannelCallback(a="org", id=channel.id)
    )
    builder.button(text=_("⬅ All channels"), callback_data=ChannelCallback(a="list"))
    builder.adjust(2, 1, 1)
    return builder.as_markup()


def organisations_keyboard(
    channel_id: int, organisations: Sequence[Organisation], *, detach: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for organisation in organisations:
        assert organisation.id is not None
        builder.button(
            text=short(organisation.name),
            callback_data=ChannelOrgCallback(id=channel_id, org=organisation.id),
        )
    if detach:
        builder.button(
            text=_("No organisation (national)"),
            callback_data=ChannelOrgCallback(id=channel_id, org=0),
        )
    builder.button(text=_("⬅ Back"), callback_data=ChannelCallback(a="open", id=channel_id))
    builder.adjust(1)
    return builder.as_markup()


def duty_keyboard(organisation_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📅 Set the day"), callback_data=DutySetCallback(a="day", org=organisation_id)
    )
    builder.button(
        text=_("🙋 I am responsible"), callback_data=DutySetCallback(a="me", org=organisation_id)
    )
    builder.button(
        text=_("👥 Choose another member"),
        callback_data=DutySetCallback(a="who", org=organisation_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def organisations_duty_keyboard(organisations: Sequence[Organisation]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for organisation in organisations:
        assert organisation.id is not None
        builder.button(
            text=short(organisation.name),
            callback_data=DutySetCallback(a="open", org=organisation.id),
        )
    builder.adjust(1)
    return builder.as_markup()


def members_keyboard(organisation_id: int, people: Sequence[User]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for person in people:
        assert person.id is not None
        label = person.full_name or person.username or str(person.telegram_id)
        builder.button(
            text=short(label),
            callback_data=DutySetCallback(a="pick", org=organisation_id, user=person.id),
        )
    builder.button(text=_("⬅ Back"), callback_data=DutySetCallback(a="open", org=organisation_id))
    builder.adjust(1)
    return builder.as_markup()


def relay_keyboard(submission_id: int, channels: Sequence[Channel]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for channel in channels:
        assert channel.id is not None
        builder.button(
            text=short(channel.title), callback_data=RelayCallback(id=submission_id, ch=channel.id)
        )
    builder.adjust(1)
    return builder.as_markup()
