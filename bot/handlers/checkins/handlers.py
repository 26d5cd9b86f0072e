"""Answers to a post-course check-in: whether the teacher applied the course, then whether they
want methodological support. The user is the Telegram sender; storage is
``backend.courses.checkins``."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.courses import checkins
from bot.context import BotContext
from bot.handlers.checkins.callbacks import CheckinCallback
from bot.handlers.checkins.screens import support_question, thanks
from bot.shared.screen import show

APPLIED = ("yes", "partly", "no")


def _gone() -> str:
    return _("This check-in is no longer available.")


async def answer_applied(
    query: CallbackQuery,
    callback_data: CheckinCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if callback_data.v not in APPLIED:
        callback_answer.text = _gone()
        return
    try:
        await checkins.record_answer(
            session=ctx.session,
            user_id=ctx.user.id,
            course_id=callback_data.id,
            months=callback_data.m,
            applied=callback_data.v,
        )
    except checkins.CheckinNotFoundError:
        callback_answer.text = _gone()
        return
    await show(query, support_question(callback_data.id, callback_data.m))


async def answer_support(
    query: CallbackQuery,
    callback_data: CheckinCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    wants = callback_data.v == "yes"
    try:
        await checkins.record_answer(
            session=ctx.session,
            user_id=ctx.user.id,
            course_id=callback_data.id,
            months=callback_data.m,
            wants_support=wants,
        )
    except checkins.CheckinNotFoundError:
        callback_answer.text = _gone()
        return
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    callback_answer.text = thanks(wants)
    callback_answer.show_alert = True


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(answer_applied, CheckinCallback.filter(F.q == "a"))
    router.callback_query.register(answer_support, CheckinCallback.filter(F.q == "s"))
    return router
