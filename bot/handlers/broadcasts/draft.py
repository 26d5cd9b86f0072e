"""The broadcast being composed: its dialog states, its storage in the FSM data, and its
message variants (what the curator sent, and how a recipient will get it).

The draft lives in the FSM data (the database), so a half-composed broadcast survives a restart.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message, MessageOriginChannel
from aiogram.utils.i18n import gettext as _

from backend.broadcasts.service import Audience, Variant

KEY = "bcast"  # the draft being composed, in the FSM data
TEXT_LIMIT = 4096  # Bot API limits: a message and a caption
CAPTION_LIMIT = 1024


def first_language(locale: str) -> str:
    """Variants exist in kk and ru; an English-speaking curator writes the Russian one."""
    return "kk" if locale == "kk" else "ru"


def other_language(language: str) -> str:
    return "ru" if language == "kk" else "kk"


def empty_draft(language: str) -> dict[str, Any]:
    return {
        "lang": language,
        "content": {},
        "topic": None,
        "roles": [],
        "regions": [],
        "orgs": [],
        "categories": [],
        "channel_id": None,
    }


async def load_draft(state: FSMContext) -> dict[str, Any] | None:
    raw = (await state.get_data()).get(KEY)
    return raw if isinstance(raw, dict) else None


async def save_draft(
    state: FSMContext, draft: dict[str, Any], new_state: State | None = None
) -> None:
    await state.update_data({KEY: draft})
    if new_state is not None:
        await state.set_state(new_state)


async def drop_draft(state: FSMContext) -> None:
    """The dialog is over (sent, scheduled or cancelled)."""
    await state.update_data({KEY: None})
    await state.set_state(None)


def audience_of(draft: dict[str, Any]) -> Audience:
    return Audience(
        roles=tuple(draft.get("roles") or ()),
        regions=tuple(draft.get("regions") or ()),
        organisation_ids=tuple(int(i) for i in draft.get("orgs") or ()),
        categories=tuple(draft.get("categories") or ()),
    )


def variant_of(message: Message) -> tuple[Variant | None, str | None]:
    """The message as a broadcast variant, or a localized reason why it cannot be one."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        # Relayed with copyMessage: the post keeps its media, formatting and buttons.
        return {
            "type": "copy",
            "from_chat_id": origin.chat.id,
            "message_id": origin.message_id,
        }, None
    caption = message.html_text if message.caption else None
    if message.photo or message.document:
        if caption is not None and len(message.caption or "") > CAPTION_LIMIT:
            return None, _("The caption is too long: please keep it under {limit} characters.")
        if message.photo:
            file_id = message.photo[-1].file_id  # the largest size
            kind = "photo"
        else:
            assert message.document is not None
            file_id, kind = message.document.file_id, "document"
        return {"type": kind, "file_id": file_id, "caption": caption, "parse_mode": "HTML"}, None
    if message.text:
        if len(message.text) > TEXT_LIMIT:
            return None, _("The text is too long: please keep it under {limit} characters.")
        return {"type": "text", "text": message.html_text, "parse_mode": "HTML"}, None
    return None, _("Please send text, a photo, a document, or forward a post from a channel.")


def _personal(text: str | None, name: str) -> str | None:
    return None if text is None else text.replace("{name}", escape(name))


async def send_variant(
    bot: Bot, chat_id: int, variant: Variant, name: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send one variant to ``chat_id`` the way a recipient would get it."""
    kind = variant.get("type")
    if kind == "copy":
        await bot.copy_message(
            chat_id, variant["from_chat_id"], variant["message_id"], reply_markup=markup
        )
        return
    parse_mode = variant.get("parse_mode")
    if kind in ("photo", "document"):
        send_file = bot.send_photo if kind == "photo" else bot.send_document
        await send_file(
            chat_id,
            variant["file_id"],
            caption=_personal(variant.get("caption"), name),
            parse_mode=parse_mode,
            reply_markup=markup,
        )
        return
    await bot.send_message(
        chat_id,
        _personal(variant.get("text"), name) or "",
        parse_mode=parse_mode,
        reply_markup=markup,
    )
