"""The self-assessment's navigation, review and result buttons: one handler per action.

Back, review, continue, restart, the saved answers, cancel; on the result: the clause's text,
save, the result as a picture, change answers, a new assessment. A button of an older dialog
is stale (``stale``).
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.pictures.result_card import render_result_card
from backend.rules import assessments
from backend.rules.clauses import packaged_clauses
from bot.context import BotContext
from bot.handlers.assessment import dialog as dialogs
from bot.handlers.assessment.callbacks import (
    NavCallback,
    ResultCallback,
    ReviewCallback,
)
from bot.handlers.assessment.card import result_card
from bot.handlers.assessment.dialog import Dialog
from bot.handlers.assessment.flow import (
    step_back,
)
from bot.handlers.assessment.handlers import (
    advance,
    cancel,
    fresh_dialog,
    is_fresh,
    stale,
    start_assessment,
)
from bot.handlers.assessment.screens import result_keyboard
from bot.handlers.assessment.states import AssessmentStates

MESSAGE_LIMIT = 4096
RESULT_CARD_FILENAME = "sanat-result.png"
PHOTO_LONGEST_SIDE = 1280  # Telegram scales a photo down to this; a taller card goes as a file


# --- navigation: one handler per NavCallback action -------------------------------------------
async def nav_cancel(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx) is not None:
        await cancel(query, state, ctx.user)


async def nav_restart(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx) is None:
        return
    await state.set_state(AssessmentStates.org_kind)
    await advance(query, state, Dialog.new(), ctx=ctx)


async def nav_profile(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """Start from the saved answers: straight to the review screen."""
    if await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx) is None:
        return
    profile = await assessments.load_profile(session=ctx.session, user_id=ctx.user.id)
    if profile is None or not profile.position_id:
        await stale(query, state, callback_answer, ctx)
        return
    answers = assessments.relevant_answers(
        ctx.ruleset, profile.position_id, profile.answers, ctx.today()
    )
    dialog = Dialog.new(position=profile.position_id, answers=answers, history=_answered(answers))
    await state.set_state(AssessmentStates.review)
    await advance(query, state, dialog, ctx=ctx)


async def nav_kinds(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is None:
        return
    dialog.org_kind, dialog.position, dialog.step = None, None, dialog.step + 1
    await state.set_state(AssessmentStates.org_kind)
    await advance(query, state, dialog, ctx=ctx)


async def nav_back(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is None:
        return
    was_review = dialog.editing is not None
    dialog = step_back(dialog)
    await state.set_state(AssessmentStates.review if was_review else AssessmentStates.question)
    if dialog.position is None:
        await state.set_state(AssessmentStates.position)
    await advance(query, state, dialog, ctx=ctx)


async def nav_review(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is None:
        return
    await state.set_state(AssessmentStates.review)
    await advance(query, state, dialog, ctx=ctx)


async def nav_continue(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is None:
        return
    dialog.editing = None
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, ctx=ctx)


async def nav_other(
    query: CallbackQuery,
    callback_data: NavCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """An action this version does not know (a button of another version): show the step."""
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is not None:
        await advance(query, state, dialog, ctx=ctx)


def _answered(answers: dict[str, Any]) -> list[str]:
    facts = []
    for key, value in answers.items():
        if isinstance(value, dict):
            facts += [f"{key}.{sub}" for sub in value]
        else:
            facts.append(key)
    return facts


async def review_item(
    query: CallbackQuery,
    callback_data: ReviewCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await dialogs.load(state)
    if (
        not is_fresh(dialog, callback_data.t)
        or dialog is None
        or not 0 <= callback_data.i < len(dialog.history)
    ):
        await stale(query, state, callback_answer, ctx)
        return
    dialog.editing = dialog.history[callback_data.i]
    dialog.step += 1
    checked = assessments.get_fact(dialog.answers, dialog.editing)
    dialog.checklist = list(checked) if isinstance(checked, list) else []
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, ctx=ctx)


# --- the result: one handler per ResultCallback action ----------------------------------------
async def result_dialog(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> Dialog | None:
    """The dialog whose result the button is under; None (after saying so) when it is stale."""
    dialog = await dialogs.load(state)
    if not is_fresh(dialog, callback_data.t) or dialog is None or dialog.position is None:
        await stale(query, state, callback_answer, ctx)
        return None
    return dialog


async def result_clause(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await result_dialog(query, callback_data, state, callback_answer, ctx)
    if dialog is not None and dialog.position is not None:
        await send_clause(query, dialog.position)


async def result_save(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await result_dialog(query, callback_data, state, callback_answer, ctx)
    if dialog is None or dialog.position is None:
        return
    await assessments.save_profile(
        session=ctx.session,
        user_id=ctx.user.id,
        position_id=dialog.position,
        answers=dialog.answers,
    )
    callback_answer.text = _("Saved. Next time you can start from these answers.")
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=result_keyboard(dialog, saved=True))


async def result_picture(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """The result as a picture to keep or share, drawn off the event loop; a tall card goes as
    a file, which Telegram does not scale down as it does photos."""
    dialog = await result_dialog(query, callback_data, state, callback_answer, ctx)
    if dialog is None or dialog.position is None:
        return
    outcome = assessments.evaluate(ctx.ruleset, dialog.position, dialog.answers, ctx.today())
    card = result_card(outcome, ctx.ruleset, ctx.lang)
    png = await asyncio.to_thread(render_result_card, card)
    picture = BufferedInputFile(png, filename=RESULT_CARD_FILENAME)
    caption = _("Your result as a picture: keep it or share it.")
    if png_height(png) > PHOTO_LONGEST_SIDE:
        await ctx.bot.send_document(query.from_user.id, picture, caption=caption)
    else:
        await ctx.bot.send_photo(query.from_user.id, picture, caption=caption)


def png_height(png: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:  # reads the header only
        return image.height


async def result_review(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await result_dialog(query, callback_data, state, callback_answer, ctx)
    if dialog is None:
        return
    await state.set_state(AssessmentStates.review)
    await advance(query, state, dialog, new_message=True, ctx=ctx)


async def result_new(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """Like the menu: offers the saved answers first."""
    if await result_dialog(query, callback_data, state, callback_answer, ctx) is not None:
        await start_assessment(query, state, ctx=ctx)


async def result_other(
    query: CallbackQuery,
    callback_data: ResultCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """An action this version does not know: only the staleness check, as before."""
    await result_dialog(query, callback_data, state, callback_answer, ctx)


async def send_clause(query: CallbackQuery, position_id: str) -> None:
    """The verbatim requirement clause (Kazakh, as the act words it), split to Telegram's limit."""
    clause = packaged_clauses().get(position_id, {}).get("requirements")
    if clause is None or not isinstance(query.message, Message):
        return
    header = _("Order No. 338, seed lines {first}–{last}, verbatim:").format(
        first=clause["lines"][0], last=clause["lines"][1]
    )
    text = f"{header}\n\n{clause['kk']}"
    for start in range(0, len(text), MESSAGE_LIMIT):
        await query.message.answer(text[start : start + MESSAGE_LIMIT], parse_mode=None)


def create_router() -> Router:
    router = Router(name=__name__)
    navigation = (
        ("cancel", nav_cancel),
        ("restart", nav_restart),
        ("profile", nav_profile),
        ("kinds", nav_kinds),
        ("back", nav_back),
        ("review", nav_review),
        ("continue", nav_continue),
    )
    for action, handler in navigation:
        router.callback_query.register(handler, NavCallback.filter(F.a == action))
    router.callback_query.register(nav_other, NavCallback.filter())
    router.callback_query.register(review_item, ReviewCallback.filter())
    results = (
        ("clause", result_clause),
        ("save", result_save),
        ("pic", result_picture),
        ("review", result_review),
        ("new", result_new),
    )
    for action, on_result in results:
        router.callback_query.register(on_result, ResultCallback.filter(F.a == action))
    router.callback_query.register(result_other, ResultCallback.filter())
    return router
