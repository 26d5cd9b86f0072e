"""Callback data and keyboards of the channel, duty and submission screens (ids only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.models import Channel, Organisation, User
from bot.shared.screen import short


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


def _column(buttons: Iterable[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """One button per row: (label, callback data)."""
    builder = InlineKeyboardBuilder()
    for text, data in buttons:
        builder.button(text=text, callback_data=data)
    builder.adjust(1)
    return builder.as_markup()


def _id(value: int | None) -> int:
    """A stored row's id (never None once it is in the database)."""
    assert value is not None
    return value


def _person(user: User) -> str:
    return user.full_name or user.username or str(user.telegram_id)


def channels_keyboard(channels: Sequence[Channel]) -> InlineKeyboardMarkup:
    return _column(
        (short(channel.title), ChannelCallback(a="open", id=_id(channel.id)))
        for channel in channels
    )


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
    buttons: list[tuple[str, CallbackData]] = [
        (short(organisation.name), ChannelOrgCallback(id=channel_id, org=_id(organisation.id)))
        for organisation in organisations
    ]
    if detach:
        buttons.append((_("No organisation (national)"), ChannelOrgCallback(id=channel_id, org=0)))
    buttons.append((_("⬅ Back"), ChannelCallback(a="open", id=channel_id)))
    return _column(buttons)


def duty_keyboard(organisation_id: int) -> InlineKeyboardMarkup:
    return _column(
        [
            (_("📅 Set the day"), DutySetCallback(a="day", org=organisation_id)),
            (_("🙋 I am responsible"), DutySetCallback(a="me", org=organisation_id)),
            (_("👥 Choose another member"), DutySetCallback(a="who", org=organisation_id)),
        ]
    )


def organisations_duty_keyboard(organisations: Sequence[Organisation]) -> InlineKeyboardMarkup:
    return _column(
        (short(organisation.name), DutySetCallback(a="open", org=_id(organisation.id)))
        for organisation in organisations
    )


def members_keyboard(organisation_id: int, people: Sequence[User]) -> InlineKeyboardMarkup:
    buttons: list[tuple[str, CallbackData]] = [
        (
            short(_person(person)),
            DutySetCallback(a="pick", org=organisation_id, user=_id(person.id)),
        )
        for person in people
    ]
    buttons.append((_("⬅ Back"), DutySetCallback(a="open", org=organisation_id)))
    return _column(buttons)


def relay_keyboard(submission_id: int, channels: Sequence[Channel]) -> InlineKeyboardMarkup:
    return _column(
        (short(channel.title), RelayCallback(id=submission_id, ch=_id(channel.id)))
        for channel in channels
    )
