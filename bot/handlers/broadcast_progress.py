"""The self-updating progress message of a broadcast and its buttons: pause, resume, cancel,
the CSV report, and "view" from the 📣 Broadcasts list.

Whether the curator may touch the broadcast, and what each step does, belongs to
``backend.services.broadcasts``; the backend ticker keeps editing the message afterwards.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.broadcasts.reach import reach_chart
from backend.services import broadcasts
from backend.services.broadcast_texts import progress_keyboard, progress_text
from backend.services.broadcasts import (
    BroadcastNotFoundError,
    BroadcastStateError,
    OutOfScopeError,
)
from backend.settings import Settings
from bot.handlers.broadcast_access import alert, curator_scope, locale, refusal
from bot.keyboards.broadcast import BroadcastCallback
from bot.pictures import user_catalog

# The buttons that change the broadcast; "csv" and "v" only read it.
STEERING = {"p": broadcasts.pause, "r": broadcasts.resume, "x": broadcasts.cancel}


def _progress_markup(current: broadcasts.Progress, language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.model_validate(progress_keyboard(current, language))


async def send_progress(target: Message, broadcast_id: int, **deps: Any) -> None:
    """The self-updating progress message: the backend ticker edits it from now on."""
    session = deps["session"]
    current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    language = locale(deps)
    sent = await target.answer(
        progress_text(current, language),
        reply_markup=_progress_markup(current, language),
        parse_mode=None,
    )
    await broadcasts.set_progress_message(
        session=session,
        broadcast_id=broadcast_id,
        chat_id=sent.chat.id,
        message_id=sent.message_id,
    )


async def show_progress(message: Message, current: broadcasts.Progress, language: str) -> None:
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
        await message.edit_text(
            progress_text(current, language),
            reply_markup=_progress_markup(current, language),
            parse_mode=None,
        )


async def _send_report(query: CallbackQuery, broadcast_id: int, **deps: Any) -> None:
    """The per-recipient CSV and, beside it, the reach chart (who got it, when, where)."""
    session = deps["session"]
    body = await broadcasts.report_csv(
        session=session, actor_id=deps["user"].id, broadcast_id=broadcast_id
    )
    bot: Bot = deps["bot"]
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(body, filename=f"broadcast-{broadcast_id}.csv"),
        caption=_("Report of broadcast #{id}.").format(id=broadcast_id),
    )
    current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    settings: Settings = deps["settings"]
    chart = await reach_chart(
        session=session,
        broadcast_id=broadcast_id,
        recipients=current.total,
        tz=settings.tz,
        language=locale(deps),
        catalog=user_catalog(),
    )
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(chart, filename=f"broadcast-{broadcast_id}-reach.png"),
        caption=_("Reach of broadcast #{id}.").format(id=broadcast_id),
    )


async def progress_button(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    session = deps["session"]
    actor_id = deps["user"].id
    broadcast_id = callback_data.broadcast_id
    if await curator_scope(deps) is None:
        alert(callback_answer, refusal())
        return
    try:
        if callback_data.action in STEERING:
            await STEERING[callback_data.action](
                session=session, actor_id=actor_id, broadcast_id=broadcast_id
            )
        elif callback_data.action == "csv":
            await _send_report(query, broadcast_id, **deps)
            return
        else:  # "v": view, from the list; reading still requires the right to it
            await broadcasts.get(session=session, actor_id=actor_id, broadcast_id=broadcast_id)
    except (OutOfScopeError, BroadcastNotFoundError):
        alert(callback_answer, _("This broadcast is not available to you."))
        return
    except BroadcastStateError:
        # Not an alert: the refreshed progress message below shows what happened instead.
        callback_answer.text = _("That is no longer possible: the broadcast has moved on.")
    if not isinstance(query.message, Message):
        return
    if callback_data.action == "v":
        await send_progress(query.message, broadcast_id, **deps)
        return
    current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    await show_progress(query.message, current, locale(deps))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(progress_button, BroadcastCallback.filter())
    return router
