"""Reopening a stored result from a rule-change notice (the "Open the result" button).

The stored answers are replayed under the rules in force now: the teacher sees the new result
(stored again, under the current ruleset version) with the usual result buttons, or — when the
new version asks something the old one did not (a reserve officer, the special-education
direction) — that question first.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.rules import assessments
from bot.context import BotContext
from bot.handlers.assessment.callbacks import ReopenCallback
from bot.handlers.assessment.dialog import Dialog
from bot.handlers.assessment.handlers import advance
from bot.handlers.assessment.navigation import answered_facts
from bot.handlers.assessment.states import AssessmentStates


async def reopen_result(
    query: CallbackQuery,
    callback_data: ReopenCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    stored = await assessments.user_assessment(
        session=ctx.session, user_id=ctx.user.id, assessment_id=callback_data.id
    )
    if stored is None or stored.position_id not in ctx.ruleset.positions:
        callback_answer.text = _("This result is no longer stored.")
        callback_answer.show_alert = True
        return
    answers = dict(stored.answers or {})
    dialog = Dialog.new(
        position=stored.position_id,
        org_kind=ctx.ruleset.positions[stored.position_id].org_kind,
        answers=answers,
        history=answered_facts(answers),
    )
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, new_message=True, ctx=ctx)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(reopen_result, ReopenCallback.filter())
    return router
