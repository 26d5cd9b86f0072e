"""The self-assessment dialog: organisation kind, position and the engine's questions."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.models import UserRead
from backend.rules import assessments
from backend.rules.answers import NOT_APPLICABLE_PREFIX
from backend.rules.loader import Ruleset
from backend.rules.questions import Question
from backend.rules.search import search_positions
from backend.settings import Settings
from bot.context import BotContext
from bot.handlers.assessment import dialog as dialogs
from bot.handlers.assessment.callbacks import (
    CHECK_ALL,
    CHECK_DONE,
    CHECK_NONE,
    CHECK_UNKNOWN,
    AnswerCallback,
    ChecklistCallback,
    NavCallback,
    OrgKindCallback,
    PositionCallback,
    PositionPageCallback,
    SummaryCallback,
)
from bot.handlers.assessment.dialog import Dialog
from bot.handlers.assessment.flow import (
    apply_answer,
    current_question,
    screen_for,
    store,
)
from bot.handlers.assessment.result_text import render_outcome
from bot.handlers.assessment.screens import org_kinds, result_keyboard, search_screen
from bot.handlers.assessment.states import AssessmentStates
from bot.shared.keyboards import KeyboardBuilder
from bot.shared.menu import menu_screen
from bot.shared.parsing import YearsError, parse_years
from bot.shared.screen import Screen, show

SEARCH_RESULTS = 6


async def advance(
    event: Message | CallbackQuery,
    state: FSMContext,
    dialog: Dialog,
    *,
    new_message: bool = False,
    ctx: BotContext,
    question: Question | None = None,
) -> None:
    """Show the current step of the dialog, or the result when nothing is left to ask
    (``question``: the current question, when the caller has it and the answers are unchanged)."""
    ruleset: Ruleset = ctx.ruleset
    settings: Settings = ctx.settings
    user: UserRead = ctx.user
    on = assessments.today_in(settings.tz)
    lang = ctx.lang
    current = screen_for(dialog, ruleset, lang, on, await state.get_state(), question=question)
    if current is not None:
        screen, new_state = current
        await store(state, dialog, new_state)
        await show(event, screen, new=new_message)
        return
    assert dialog.position is not None
    outcome = assessments.evaluate(ruleset, dialog.position, dialog.answers, on).to_dict()
    dialog.assessment_id = await assessments.record_assessment(
        session=ctx.session,
        user_id=user.id,
        position_id=dialog.position,
        answers=dialog.answers,
        outcome=outcome,
        ruleset_version=ruleset.version,
        on=on,
    )
    await store(state, dialog, AssessmentStates.result)
    text = render_outcome(outcome, ruleset, lang)
    await show(event, Screen(text, result_keyboard(dialog, saved=False)), new=new_message)


async def start_assessment(
    event: Message | CallbackQuery, state: FSMContext, *, new_message: bool = True, ctx: BotContext
) -> None:
    """A new dialog: offer the saved answers when there are some, else the organisation kinds."""
    user: UserRead = ctx.user
    profile = await assessments.load_profile(session=ctx.session, user_id=user.id)
    dialog = Dialog.new()
    await state.set_state(AssessmentStates.org_kind)
    if (
        profile is not None
        and profile.position_id
        and profile.position_id in ctx.ruleset.positions
    ):
        await dialogs.save(state, dialog)
        name = ctx.ruleset.positions[profile.position_id].name.get(ctx.lang)
        builder = KeyboardBuilder()
        builder.button(
            text=_("Use my saved answers"), callback_data=NavCallback(t=dialog.token, a="profile")
        )
        builder.button(
            text=_("Start afresh"), callback_data=NavCallback(t=dialog.token, a="restart")
        )
        latest = await assessments.latest_assessment(session=ctx.session, user_id=user.id)
        if latest is not None and latest.id is not None:
            builder.button(
                text=_("📄 PDF of my last result"), callback_data=SummaryCallback(id=latest.id)
            )
        builder.adjust(1)
        text = _("You have saved answers for «{position}». Use them?").format(position=name)
        await show(event, Screen(text, builder.as_markup()), new=new_message)
        return
    await advance(event, state, dialog, new_message=new_message, ctx=ctx)


async def stale(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    """A button from an old message, or from a dialog that no longer exists: say so, show now."""
    callback_answer.text = _("This button is from an earlier message. Here is where you are now.")
    callback_answer.show_alert = True
    dialog = await dialogs.load(state)
    if dialog is None or await state.get_state() is None:
        await show(query, menu_screen(ctx.user.roles), new=True)
        return
    await advance(query, state, dialog, new_message=True, ctx=ctx)


def is_fresh(dialog: Dialog | None, token: str, step: int | None = None) -> bool:
    return dialog is not None and dialog.token == token and (step is None or dialog.step == step)


async def fresh_dialog(
    query: CallbackQuery,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    token: str,
    step: int | None = None,
    *,
    ctx: BotContext,
) -> Dialog | None:
    """The dialog a button belongs to; None (after telling the user) when the button is stale."""
    dialog = await dialogs.load(state)
    if not is_fresh(dialog, token, step):
        await stale(query, state, callback_answer, ctx)
        return None
    return dialog


# --- organisation kind and position ---------------------------------------------------------
async def choose_org_kind(
    query: CallbackQuery,
    callback_data: OrgKindCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await dialogs.load(state)
    kinds = org_kinds(ctx.ruleset)
    if not is_fresh(dialog, callback_data.t) or not 0 <= callback_data.k < len(kinds):
        await stale(query, state, callback_answer, ctx)
        return
    assert dialog is not None
    dialog.org_kind, dialog.page = kinds[callback_data.k], 0
    await state.set_state(AssessmentStates.position)
    await advance(query, state, dialog, ctx=ctx)


async def turn_page(
    query: CallbackQuery,
    callback_data: PositionPageCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(query, state, callback_answer, callback_data.t, ctx=ctx)
    if dialog is None:
        return
    dialog.page = callback_data.p
    await advance(query, state, dialog, ctx=ctx)


async def choose_position(
    query: CallbackQuery,
    callback_data: PositionCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await dialogs.load(state)
    if not is_fresh(dialog, callback_data.t) or callback_data.id not in ctx.ruleset.positions:
        await stale(query, state, callback_answer, ctx)
        return
    assert dialog is not None
    dialog.position = callback_data.id
    dialog.org_kind = ctx.ruleset.positions[callback_data.id].org_kind
    dialog.answers, dialog.history, dialog.step = {}, [], dialog.step + 1
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, ctx=ctx)


async def search_by_name(message: Message, state: FSMContext, ctx: BotContext) -> None:
    dialog = await dialogs.load(state) or Dialog.new()
    query = (message.text or "").strip()[:100]
    found = [pid for pid, _score in search_positions(ctx.ruleset, query, limit=SEARCH_RESULTS)]
    await dialogs.save(state, dialog)
    await show(message, search_screen(dialog, ctx.ruleset, ctx.lang, found, query))


# --- answers ----------------------------------------------------------------------------------
async def answer_button(
    query: CallbackQuery,
    callback_data: AnswerCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(
        query, state, callback_answer, callback_data.t, step=callback_data.s, ctx=ctx
    )
    if dialog is None:
        return
    on = ctx.today()
    question = current_question(dialog, ctx.ruleset, on)
    value: Any
    if question is None:
        await stale(query, state, callback_answer, ctx)
        return
    if callback_data.v == "u":
        value = "unknown"
    elif callback_data.v in ("y", "n") and question.kind == "boolean":
        value = callback_data.v == "y"
    elif callback_data.v.isdigit() and int(callback_data.v) < len(question.options):
        value = question.options[int(callback_data.v)]
    else:
        await stale(query, state, callback_answer, ctx)
        return
    dialog = apply_answer(dialog, question.fact, value, ctx.ruleset, on)
    await advance(query, state, dialog, ctx=ctx)


async def answer_text(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """Typed text on a question: years where years are asked, else a hint and the question."""
    dialog = await dialogs.load(state)
    if dialog is None or dialog.position is None:
        await search_by_name(message, state, ctx)
        return
    on = ctx.today()
    question = current_question(dialog, ctx.ruleset, on)
    if question is None:
        await advance(message, state, dialog, new_message=True, ctx=ctx)
        return
    if question.kind != "years":
        await message.answer(_("Please answer with the buttons under the question."))
        await advance(message, state, dialog, new_message=True, ctx=ctx)
        return
    try:
        years = parse_years(message.text or "")
    except YearsError as error:
        hint = (
            _("That is more years than a working life: please check the number.")
            if error.reason == "too_many"
            else _("Please type a number of years, for example 5 or 5,5 (or 5 жыл, 5 лет).")
        )
        await message.answer(hint)
        await advance(message, state, dialog, new_message=True, ctx=ctx)
        return
    dialog = apply_answer(dialog, question.fact, years, ctx.ruleset, on)
    await advance(message, state, dialog, new_message=True, ctx=ctx)


CHECK_ACTIONS = {CHECK_UNKNOWN: "unknown"}


async def checklist(
    query: CallbackQuery,
    callback_data: ChecklistCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    dialog = await fresh_dialog(
        query, state, callback_answer, callback_data.t, step=callback_data.s, ctx=ctx
    )
    if dialog is None:
        return
    on = ctx.today()
    question = current_question(dialog, ctx.ruleset, on)
    if question is None or question.kind != "competencies":
        await stale(query, state, callback_answer, ctx)
        return
    ids = [item["id"] for item in question.items]
    action = callback_data.i
    value: Any = None
    if action in (CHECK_ALL, CHECK_NONE):
        # Tick or clear every box, nothing submitted: the person looks, changes, presses Done.
        dialog.checklist = list(ids) if action == CHECK_ALL else []
        callback_answer.text = (
            _("Every item is ticked: check them, then press Done.")
            if action == CHECK_ALL
            else _("Every tick is cleared: press Done if you meet none of these.")
        )
        await advance(query, state, dialog, ctx=ctx, question=question)  # same step, same buttons
        return
    if action in CHECK_ACTIONS:
        value = CHECK_ACTIONS[action]
    elif action == CHECK_DONE:
        ticked = [i for i in ids if i in dialog.checklist]
        not_applicable = [
            NOT_APPLICABLE_PREFIX + i for i in ids if NOT_APPLICABLE_PREFIX + i in dialog.checklist
        ]
        answered = ticked + not_applicable
        value = "all" if len(ticked) == len(ids) else answered if answered else "none"
    elif 0 <= action < len(ids):
        item = question.items[action]
        dialog.checklist = next_mark(dialog.checklist, item["id"], optional="optional" in item)
        await advance(query, state, dialog, ctx=ctx, question=question)  # same step, same buttons
        return
    else:
        await stale(query, state, callback_answer, ctx)
        return
    dialog = apply_answer(dialog, question.fact, value, ctx.ruleset, on)
    await advance(query, state, dialog, ctx=ctx)


def next_mark(checklist: list[str], item: str, *, optional: bool) -> list[str]:
    """Toggle an item: ☐ → ☑ → (for "(бар болса)" items) ➖ "does not apply" → ☐."""
    not_applicable = NOT_APPLICABLE_PREFIX + item
    rest = [i for i in checklist if i not in (item, not_applicable)]
    if item in checklist:
        return [*rest, not_applicable] if optional else rest
    if not_applicable in checklist:
        return rest
    return [*rest, item]


async def cancel(event: Message | CallbackQuery, state: FSMContext, user: UserRead) -> None:
    in_assessment = await state.get_state() in {s.state for s in AssessmentStates.__states__}
    await state.clear()
    text = (
        _("Self-assessment cancelled. Saved answers, if any, are kept.")
        if in_assessment
        else _("Cancelled. Nothing you saved before was changed.")
    )
    message = event.message if isinstance(event, CallbackQuery) else event
    if isinstance(message, Message):
        await message.answer(text)
        screen = menu_screen(user.roles)
        await message.answer(screen.text, reply_markup=screen.markup)


async def cmd_cancel(message: Message, state: FSMContext, user: UserRead) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."))
        return
    await cancel(message, state, user)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(choose_org_kind, OrgKindCallback.filter())
    router.callback_query.register(turn_page, PositionPageCallback.filter())
    router.callback_query.register(choose_position, PositionCallback.filter())
    router.callback_query.register(answer_button, AnswerCallback.filter())
    router.callback_query.register(checklist, ChecklistCallback.filter())
    in_dialog = StateFilter(AssessmentStates.question)
    choosing = StateFilter(AssessmentStates.org_kind, AssessmentStates.position)
    router.message.register(answer_text, in_dialog, F.text, ~F.text.startswith("/"))
    router.message.register(search_by_name, choosing, F.text, ~F.text.startswith("/"))
    return router
