"""📣 Broadcasts: a curator composes a message, picks topic and audience, previews, sends or
schedules it, and steers it with the progress buttons; the 📣 Broadcasts section lists them.

The pieces live next door: ``broadcast_compose`` (/broadcast and the typed steps),
``broadcast_steps`` (the compose buttons), ``broadcast_progress`` (the progress message and its
buttons), ``broadcast_draft`` and ``broadcast_access`` (what they share). This module holds the
section's list and joins their routers.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.broadcasts import service as broadcasts
from backend.directory import TOPIC_CODES, topic
from backend.settings import Settings
from bot.flow import show
from bot.handlers import (
    broadcast_compose,
    broadcast_progress,
    broadcast_steps,
    curators_admin,
)
from bot.handlers.broadcast_access import curator_scope, locale, refusal
from bot.keyboards.broadcast import TIME_FORMAT, BroadcastCallback, ComposeCallback, status_name
from bot.keyboards.callback_data import MenuCallback
from bot.screens import Screen

RECENT = 10  # broadcasts listed in the section


async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, **deps: Any
) -> None:
    """📣 Broadcasts: the curator's recent broadcasts and a New broadcast button."""
    if await curator_scope(deps) is None:
        await show(event, Screen(refusal()), new=new)
        return
    recent = await broadcasts.list_for(
        session=deps["session"], actor_id=deps["user"].id, limit=RECENT
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ New broadcast"), callback_data=ComposeCallback(a="new"))
    settings: Settings = deps["settings"]
    language = locale(deps)
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


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        broadcast_compose.create_router(),  # /broadcast and the typed steps
        broadcast_steps.create_router(),  # the compose buttons
        broadcast_progress.create_router(),  # the progress buttons
        curators_admin.create_router(),  # admins grant the curator role
    )
    return router
