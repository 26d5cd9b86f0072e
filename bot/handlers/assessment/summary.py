"""The PDF summary of a stored self-assessment, sent as a document in the user's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.summary.service import assessment_for, filename, summary_pdf_async
from bot.context import BotContext
from bot.handlers.assessment.callbacks import SummaryCallback


async def send_summary(
    query: CallbackQuery,
    callback_data: SummaryCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    assessment = await assessment_for(
        session=ctx.session, assessment_id=callback_data.id, user_id=ctx.user.id, admin=False
    )
    if assessment is None or query.message is None:
        callback_answer.text = _("This result is no longer available.")
        return
    data = await summary_pdf_async(
        assessment, ruleset=ctx.ruleset, settings=ctx.settings, lang=ctx.lang
    )
    callback_answer.text = _("Here is your summary to print.")
    await ctx.bot.send_document(
        chat_id=query.message.chat.id,
        document=BufferedInputFile(data, filename=filename(assessment)),
        caption=_("Self-assessment summary"),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(send_summary, SummaryCallback.filter())
    return router
