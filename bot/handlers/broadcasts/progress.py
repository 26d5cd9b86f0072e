"""The self-updating progress message of a broadcast and its buttons: pause, resume, cancel,
the CSV report with the reach chart, and "view" from the 📣 Broadcasts list.

Whether the curator may touch the broadcast, and what each step does, belongs to
``backend.broadcasts.service``; the backend ticker keeps editing the message afterwards.
"""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.broadcasts import service as broadcasts
from backend.broadcasts.reach import reach_chart
from backend.broadcasts.service import (
    BroadcastNotFoundError,
    BroadcastStateError,
    OutOfScopeError,
)
from backend.broadcasts.texts import progress_keyboard, progress_text
from bot.context import BotContext
from bot.handlers.broadcasts.access import alert, curator_scope, refusal
from bot.handlers.broadcasts.keyboards import BroadcastCallback
from bot.shared.pictures import user_catalog

# The buttons that change the broadcast; "csv" and "v" only read it.
STEERING = {"p": broadcasts.pause, "r": broadcasts.resume, "x": broadcasts.cancel}


def _progress_markup(current: broadcasts.Progress, language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.model_validate(progress_keyboard(current, language))


async def send_progress(target: Message, broadcast_id: int, ctx: BotContext) -> None:
    """The self-updating progress message: the backend ticker edits it from now on."""
    session = ctx.session
    current = await broadcasts.progress(session=session, broadcast_id=broadcast_id)
    language = ctx.lang
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


async def _send_report(query: CallbackQuery, broadcast_id: int, ctx: BotContext) -> None:
    """The per-recipient CSV and, beside it, the reach chart (who got it, when, where)."""
    body = await broadcasts.report_csv(
        session=ctx.session, actor_id=ctx.user.id, broadcast_id=broadcast_id, language=ctx.lang
    )
    bot: Bot = ctx.bot
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(body, filename=f"broadcast-{broadcast_id}.csv"),
        caption=_("Report of broadcast #{id}.").format(id=broadcast_id),
    )
    current = await broadcasts.progress(session=ctx.session, broadcast_id=broadcast_id)
    chart = await reach_chart(
        session=ctx.session,
        broadcast_id=broadcast_id,
        recipients=current.total,
        tz=ctx.settings.tz,
        language=ctx.lang,
        catalog=user_catalog(),
    )
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(chart, filename=f"broadcast-{broadcast_id}-reach.png"),
        caption=_("Reach of broadcast #{id}.").format(id=broadcast_id),
    )


# --- the progress buttons: one handler per BroadcastCallback action ---------------------------
async def _is_curator(callback_answer: CallbackAnswer, ctx: BotContext) -> bool:
    if await curator_scope(ctx) is None:
        alert(callback_answer, refusal())
        return False
    return True


def _not_available(callback_answer: CallbackAnswer) -> None:
    alert(callback_answer, _("This broadcast is not available to you."))


async def _refresh(query: CallbackQuery, broadcast_id: int, ctx: BotContext) -> None:
    """The progress message the button is under, as it is now."""
    if isinstance(query.message, Message):
        current = await broadcasts.progress(session=ctx.session, broadcast_id=broadcast_id)
        await show_progress(query.message, current, ctx.lang)


async def steer(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """Pause, resume or cancel: the backend decides whether the broadcast still can."""
    if not await _is_curator(callback_answer, ctx):
        return
    try:
        await STEERING[callback_data.action](
            session=ctx.session, actor_id=ctx.user.id, broadcast_id=callback_data.broadcast_id
        )
    except (OutOfScopeError, BroadcastNotFoundError):
        _not_available(callback_answer)
        return
    except BroadcastStateError:
        # Not an alert: the refreshed progress message below shows what happened instead.
        callback_answer.text = _("That is no longer possible: the broadcast has moved on.")
    await _refresh(query, callback_data.broadcast_id, ctx)


async def send_report(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if not await _is_curator(callback_answer, ctx):
        return
    try:
        await _send_report(query, callback_data.broadcast_id, ctx=ctx)
    except (OutOfScopeError, BroadcastNotFoundError):
        _not_available(callback_answer)


async def _readable(callback_data: BroadcastCallback, ctx: BotContext) -> bool:
    """Reading still requires the right to the broadcast."""
    try:
        await broadcasts.get(
            session=ctx.session, actor_id=ctx.user.id, broadcast_id=callback_data.broadcast_id
        )
    except (OutOfScopeError, BroadcastNotFoundError):
        return False
    return True


async def view(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """ "View", from the 📣 Broadcasts list: a new progress message."""
    if not await _is_curator(callback_answer, ctx):
        return
    if not await _readable(callback_data, ctx):
        _not_available(callback_answer)
        return
    if isinstance(query.message, Message):
        await send_progress(query.message, callback_data.broadcast_id, ctx=ctx)


async def refresh(
    query: CallbackQuery,
    callback_data: BroadcastCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """Any other action (a button of another version): the progress message, refreshed."""
    if not await _is_curator(callback_answer, ctx):
        return
    if not await _readable(callback_data, ctx):
        _not_available(callback_answer)
        return
    await _refresh(query, callback_data.broadcast_id, ctx)


def create_router() -> Router:
    router = Router(name=__name__)
    button = BroadcastCallback.filter
    router.callback_query.register(steer, button(F.action.in_(STEERING)))
    router.callback_query.register(send_report, button(F.action == "csv"))
    router.callback_query.register(view, button(F.action == "v"))
    router.callback_query.register(refresh, button())
    return router
