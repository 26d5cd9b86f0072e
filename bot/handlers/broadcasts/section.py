"""📣 Broadcasts: the section's list of a curator's broadcasts.

A curator composes a message, picks topic and audience, previews, sends or schedules it, and
steers it with the progress buttons. The pieces live next door: ``compose`` (/broadcast and the
typed steps), ``steps`` (the compose buttons), ``progress`` (the progress message and its
buttons), ``draft`` and ``access`` (what they share); the package joins their routers.
"""

from __future__ import annotations

from html import escape

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.broadcasts import service as broadcasts
from backend.directory import TOPIC_CODES, topic
from backend.settings import Settings
from bot.context import BotContext
from bot.handlers.broadcasts.access import curator_scope, refusal
from bot.handlers.broadcasts.keyboards import (
    TIME_FORMAT,
    BroadcastCallback,
    ComposeCallback,
    status_name,
)
from bot.shared.callbacks import MenuCallback
from bot.shared.screen import Screen, show

RECENT = 10  # broadcasts listed in the section


async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, ctx: BotContext
) -> None:
    """📣 Broadcasts: the curator's recent broadcasts and a New broadcast button."""
    if await curator_scope(ctx) is None:
        await show(event, Screen(refusal()), new=new)
        return
    recent = await broadcasts.list_for(session=ctx.session, actor_id=ctx.user.id, limit=RECENT)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ New broadcast"), callback_data=ComposeCallback(a="new"))
    settings: Settings = ctx.settings
    language = ctx.lang
    lines = [_("📣 Broadcasts")]
    for item in recent:
        assert item.id is not None
        when = item.created_at.astimezone(settings.tz).strftime(TIME_FORMAT)
        name = topic(item.topic).name(language) if item.topic in TOPIC_CODES else item.topic
        status = status_name(item.status)
        lines.append(f"#{item.id} · {escape(name)} · {status} · {when}")
        builder.button(
            text=f"#{item.id} · {status}",
            callback_data=BroadcastCallback(action="v", broadcast_id=item.id),
        )
    if not recent:
        lines.append(_("No broadcasts yet."))
    builder.button(text=_("⬅ Back"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    await show(event, Screen("\n".join(lines), builder.as_markup()), new=new)
