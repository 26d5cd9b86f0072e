"""The self-assessment dialog: organisation kind, position, the engine's questions, the result."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.models import UserRead
from backend.rules.clauses import packaged_clauses
from backend.rules.loader import Ruleset
from backend.rules.search import search_positions
from backend.services import assessments
from backend.settings import Settings
from bot import dialog as dialogs
from bot.dialog import Dialog
from bot.flow import apply_answer, current_question, screen_for, show, step_back, store
from bot.keyboards.callback_data import (
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
    ResultCallback,
    ReviewCallback,
)
from bot.parsing import YearsError, parse_years
from bot.result_text import render_outcome
from bot.screens import Screen, menu_screen, org_kinds, result_keyboard, search_screen
from bot.states import AssessmentStates

SEARCH_RESULTS = 6
MESSAGE_LIMIT = 4096


async def advance(
    event: Message | CallbackQuery,
    state: FSMContext,
    dialog: Dialog,
    *,
    new_message: bool = False,
    **deps: Any,
) -> None:
    """Show the current step of the dialog, or the result when nothing is left to ask."""
    ruleset: Ruleset = deps["ruleset"]
    settings: Settings = deps["settings"]
    user: UserRead = deps["user"]
    on = assessments.today_in(settings.tz)
    lang = deps["i18n"].current_locale
    current = screen_for(dialog, ruleset, lang, on, await state.get_state())
    if current is not None:
        screen, new_state = current
        await store(state, dialog, new_state)
        await show(event, screen, new=new_message)
        return
    assert dialog.position is not None
    outcome = assessments.evaluate(ruleset, dialog.position, dialog.answers, on).to_dict()
    await assessments.record_assessment(
        session=deps["session"],
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
    event: Message | CallbackQuery, state: FSMContext, *, new_message: bool = True, **deps: Any
) -> None:
    """A new dialog: offer the saved answers when there are some, else the organisation kinds."""
    user: UserRead = deps["user"]
    profile = await assessments.load_profile(session=deps["session"], user_id=user.id)
    dialog = Dialog.new()
    await state.set_state(AssessmentStates.org_kind)
    if (
        profile is not None
        and profile.position_id
        and profile.position_id in deps["ruleset"].positions
    ):
        await dialogs.save(state, dialog)
        name = deps["ruleset"].positions[profile.position_id].name.get(deps["i18n"].current_locale)
        from aiogram.utils.keyboard import InlineKeyboardBuilder

        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Use my saved answers"), callback_data=NavCallback(t=dialog.token, a="profile")
        )
        builder.button(
            text=_("Start afresh"), callback_data=NavCallback(t=dialog.token, a="restart")
        )
        builder.adjust(1)
        text = _("You have saved answers for «{position}». Use them?").format(position=name)
        await show(event, Screen(text, builder.as_markup()), new=new_message)
        return
    await advance(event, state, dialog, new_message=new_message, **deps)


async def stale(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, **deps: Any
) -> None:
    """A button from an old message, or from a dialog that no longer exists: say so, show now."""
    callback_answer.text = _("This button is from an earlier message. Here is where you are now.")
    callback_answer.show_alert = True
    dialog = await dialogs.load(state)
    if dialog is None or await state.get_state() is None:
        await show(query, menu_screen(deps["user"].roles), new=True)
        return
    await advance(query, state, dialog, new_message=True, **deps)


def _fresh(dialog: Dialog | None, token: str, step: int | None = None) -> bool:
    return dialog is not None and dialog.token == token and (step is None or dialog.step == step)


async def fresh_dialog(
    query: CallbackQuery, state: FSMContext, token: str, step: int | None = None, **deps: Any
) -> Dialog | None:
    """The dialog a button belongs to; None (after telling the user) when the button is stale."""
    dialog = await dialogs.load(state)
    if not _fresh(dialog, token, step):
        await stale(query, state, **deps)
        return None
    return dialog


# --- organisation kind and position ---------------------------------------------------------
async def choose_org_kind(
    query: CallbackQuery, callback_data: OrgKindCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await dialogs.load(state)
    kinds = org_kinds(deps["ruleset"])
    if not _fresh(dialog, callback_data.t) or not 0 <= callback_data.k < len(kinds):
        await stale(query, state, **deps)
        return
    assert dialog is not None
    dialog.org_kind, dialog.page = kinds[callback_data.k], 0
    await state.set_state(AssessmentStates.position)
    await advance(query, state, dialog, **_without_answer(deps))


async def turn_page(
    query: CallbackQuery, callback_data: PositionPageCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await fresh_dialog(query, state, callback_data.t, **deps)
    if dialog is None:
        return
    dialog.page = callback_data.p
    await advance(query, state, dialog, **_without_answer(deps))


async def choose_position(
    query: CallbackQuery, callback_data: PositionCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await dialogs.load(state)
    if not _fresh(dialog, callback_data.t) or callback_data.id not in deps["ruleset"].positions:
        await stale(query, state, **deps)
        return
    assert dialog is not None
    dialog.position = callback_data.id
    dialog.org_kind = deps["ruleset"].positions[callback_data.id].org_kind
    dialog.answers, dialog.history, dialog.step = {}, [], dialog.step + 1
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, **_without_answer(deps))


async def search_by_name(message: Message, state: FSMContext, **deps: Any) -> None:
    dialog = await dialogs.load(state) or Dialog.new()
    query = (message.text or "").strip()[:100]
    ruleset: Ruleset = deps["ruleset"]
    found = [pid for pid, _score in search_positions(ruleset, query, limit=SEARCH_RESULTS)]
    await dialogs.save(state, dialog)
    await show(message, search_screen(dialog, ruleset, deps["i18n"].current_locale, found, query))


# --- answers ----------------------------------------------------------------------------------
async def answer_button(
    query: CallbackQuery, callback_data: AnswerCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await fresh_dialog(query, state, callback_data.t, step=callback_data.s, **deps)
    if dialog is None:
        return
    on = assessments.today_in(deps["settings"].tz)
    question = current_question(dialog, deps["ruleset"], on)
    value: Any
    if question is None:
        await stale(query, state, **deps)
        return
    if callback_data.v == "u":
        value = "unknown"
    elif callback_data.v in ("y", "n") and question.kind == "boolean":
        value = callback_data.v == "y"
    elif callback_data.v.isdigit() and int(callback_data.v) < len(question.options):
        value = question.options[int(callback_data.v)]
    else:
        await stale(query, state, **deps)
        return
    dialog = apply_answer(dialog, question.fact, value, deps["ruleset"], on)
    await advance(query, state, dialog, **_without_answer(deps))


async def answer_text(message: Message, state: FSMContext, **deps: Any) -> None:
    """Typed text on a question: years where years are asked, else a hint and the question."""
    dialog = await dialogs.load(state)
    if dialog is None or dialog.position is None:
        await search_by_name(message, state, **deps)
        return
    on = assessments.today_in(deps["settings"].tz)
    question = current_question(dialog, deps["ruleset"], on)
    if question is None:
        await advance(message, state, dialog, new_message=True, **deps)
        return
    if question.kind != "years":
        await message.answer(_("Please answer with the buttons under the question."))
        await advance(message, state, dialog, new_message=True, **deps)
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
        await advance(message, state, dialog, new_message=True, **deps)
        return
    dialog = apply_answer(dialog, question.fact, years, deps["ruleset"], on)
    await advance(message, state, dialog, new_message=True, **deps)


async def checklist(
    query: CallbackQuery, callback_data: ChecklistCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await fresh_dialog(query, state, callback_data.t, step=callback_data.s, **deps)
    if dialog is None:
        return
    on = assessments.today_in(deps["settings"].tz)
    question = current_question(dialog, deps["ruleset"], on)
    if question is None or question.kind != "competencies":
        await stale(query, state, **deps)
        return
    ids = [item["id"] for item in question.items]
    action = callback_data.i
    value: Any = None
    if action == CHECK_ALL:
        value = "all"
    elif action == CHECK_NONE:
        value = "none"
    elif action == CHECK_UNKNOWN:
        value = "unknown"
    elif action == CHECK_DONE:
        ticked = [i for i in ids if i in dialog.checklist]
        value = "all" if len(ticked) == len(ids) else ticked if ticked else "none"
    elif 0 <= action < len(ids):
        item = ids[action]
        dialog.checklist = (
            [i for i in dialog.checklist if i != item]
            if item in dialog.checklist
            else [*dialog.checklist, item]
        )
        await advance(
            query, state, dialog, **_without_answer(deps)
        )  # same step: buttons stay valid
        return
    else:
        await stale(query, state, **deps)
        return
    dialog = apply_answer(dialog, question.fact, value, deps["ruleset"], on)
    await advance(query, state, dialog, **_without_answer(deps))


# --- navigation, review, result --------------------------------------------------------------
async def navigate(
    query: CallbackQuery, callback_data: NavCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await fresh_dialog(query, state, callback_data.t, **deps)
    if dialog is None:
        return
    action = callback_data.a
    plain = _without_answer(deps)
    if action == "cancel":
        await cancel(query, state, deps["user"])
        return
    if action == "restart":
        await state.set_state(AssessmentStates.org_kind)
        await advance(query, state, Dialog.new(), **plain)
        return
    if action == "profile":
        profile = await assessments.load_profile(session=deps["session"], user_id=deps["user"].id)
        if profile is None or not profile.position_id:
            await stale(query, state, **deps)
            return
        on = assessments.today_in(deps["settings"].tz)
        answers = assessments.relevant_answers(
            deps["ruleset"], profile.position_id, profile.answers, on
        )
        dialog = Dialog.new(
            position=profile.position_id, answers=answers, history=_answered(answers)
        )
        await state.set_state(AssessmentStates.review)
        await advance(query, state, dialog, **plain)
        return
    if action == "kinds":
        dialog.org_kind, dialog.position, dialog.step = None, None, dialog.step + 1
        await state.set_state(AssessmentStates.org_kind)
    elif action == "back":
        was_review = dialog.editing is not None
        dialog = step_back(dialog)
        await state.set_state(AssessmentStates.review if was_review else AssessmentStates.question)
        if dialog.position is None:
            await state.set_state(AssessmentStates.position)
    elif action == "review":
        await state.set_state(AssessmentStates.review)
    elif action == "continue":
        dialog.editing = None
        await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, **plain)


def _answered(answers: dict[str, Any]) -> list[str]:
    facts = []
    for key, value in answers.items():
        if isinstance(value, dict):
            facts += [f"{key}.{sub}" for sub in value]
        else:
            facts.append(key)
    return facts


async def review_item(
    query: CallbackQuery, callback_data: ReviewCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await dialogs.load(state)
    if (
        not _fresh(dialog, callback_data.t)
        or dialog is None
        or not 0 <= callback_data.i < len(dialog.history)
    ):
        await stale(query, state, **deps)
        return
    dialog.editing = dialog.history[callback_data.i]
    dialog.step += 1
    checked = assessments.get_fact(dialog.answers, dialog.editing)
    dialog.checklist = list(checked) if isinstance(checked, list) else []
    await state.set_state(AssessmentStates.question)
    await advance(query, state, dialog, **_without_answer(deps))


async def result_action(
    query: CallbackQuery, callback_data: ResultCallback, state: FSMContext, **deps: Any
) -> None:
    dialog = await dialogs.load(state)
    if not _fresh(dialog, callback_data.t) or dialog is None or dialog.position is None:
        await stale(query, state, **deps)
        return
    plain = _without_answer(deps)
    if callback_data.a == "clause":
        await send_clause(query, dialog.position)
    elif callback_data.a == "save":
        await assessments.save_profile(
            session=deps["session"],
            user_id=deps["user"].id,
            position_id=dialog.position,
            answers=dialog.answers,
        )
        deps["callback_answer"].text = _("Saved. Next time you can start from these answers.")
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=result_keyboard(dialog, saved=True))
    elif callback_data.a == "review":
        await state.set_state(AssessmentStates.review)
        await advance(query, state, dialog, new_message=True, **plain)
    elif callback_data.a == "new":  # like the menu: offers the saved answers first
        await start_assessment(query, state, **plain)


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


def _without_answer(deps: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in deps.items() if key != "callback_answer"}


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_cancel, Command("cancel"))
    router.callback_query.register(choose_org_kind, OrgKindCallback.filter())
    router.callback_query.register(turn_page, PositionPageCallback.filter())
    router.callback_query.register(choose_position, PositionCallback.filter())
    router.callback_query.register(answer_button, AnswerCallback.filter())
    router.callback_query.register(checklist, ChecklistCallback.filter())
    router.callback_query.register(navigate, NavCallback.filter())
    router.callback_query.register(review_item, ReviewCallback.filter())
    router.callback_query.register(result_action, ResultCallback.filter())
    in_dialog = StateFilter(AssessmentStates.question)
    choosing = StateFilter(AssessmentStates.org_kind, AssessmentStates.position)
    router.message.register(answer_text, in_dialog, F.text, ~F.text.startswith("/"))
    router.message.register(search_by_name, choosing, F.text, ~F.text.startswith("/"))
    return router
