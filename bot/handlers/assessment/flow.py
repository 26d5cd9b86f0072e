"""Moving the dialog along: which screen comes now, and how an answer changes the dialog.

No legal logic here: the engine (through backend.rules.assessments) decides what to ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State

from backend.rules import assessments
from backend.rules.engine import engine_for
from backend.rules.loader import Ruleset
from backend.rules.questions import Question, question_for
from bot.handlers.assessment import dialog as dialogs
from bot.handlers.assessment.dialog import Dialog
from bot.handlers.assessment.screens import (
    org_kind_screen,
    positions_screen,
    question_screen,
    review_screen,
)
from bot.handlers.assessment.states import AssessmentStates
from bot.shared.screen import Screen


def current_question(dialog: Dialog, ruleset: Ruleset, on: dt.date) -> Question | None:
    """The question on screen: the fact being edited, else the engine's next question."""
    assert dialog.position is not None
    if dialog.editing is not None:
        compiled = engine_for(ruleset).position(dialog.position)
        return question_for(compiled, dialog.editing, remaining=1)
    return assessments.next_question(ruleset, dialog.position, dialog.answers, on)


def apply_answer(dialog: Dialog, fact: str, value: Any, ruleset: Ruleset, on: dt.date) -> Dialog:
    """Record an answer; after a change from the review screen, drop what no longer matters."""
    assert dialog.position is not None
    answers = assessments.set_fact(dialog.answers, fact, value)
    history = [*dialog.history, fact] if fact not in dialog.history else list(dialog.history)
    if dialog.editing is not None:
        answers = assessments.relevant_answers(ruleset, dialog.position, answers, on)
        history = [f for f in history if assessments.get_fact(answers, f) is not None]
    return replace(
        dialog, answers=answers, history=history, step=dialog.step + 1, checklist=[], editing=None
    )


def step_back(dialog: Dialog) -> Dialog:
    """Back to the question actually seen before (the history, not declaration order)."""
    if dialog.editing is not None:
        return replace(dialog, editing=None, step=dialog.step + 1, checklist=[])
    if not dialog.history:
        return replace(dialog, position=None, answers={}, step=dialog.step + 1, checklist=[])
    fact = dialog.history[-1]
    return replace(
        dialog,
        history=dialog.history[:-1],
        answers=assessments.drop_fact(dialog.answers, fact),
        step=dialog.step + 1,
        checklist=[],
    )


def screen_for(
    dialog: Dialog,
    ruleset: Ruleset,
    lang: str,
    on: dt.date,
    state_name: str | None,
    *,
    question: Question | None = None,
) -> tuple[Screen, State] | None:
    """The screen of the current step; None when the next screen is the result. ``question``:
    the current question when the caller has it (the answers unchanged since), not asked again."""
    if state_name == AssessmentStates.review.state and dialog.position is not None:
        return review_screen(dialog, ruleset, lang), AssessmentStates.review
    if dialog.position is None:
        if dialog.org_kind is None:
            return org_kind_screen(dialog, ruleset, lang), AssessmentStates.org_kind
        return positions_screen(dialog, ruleset, lang), AssessmentStates.position
    question = question or current_question(dialog, ruleset, on)
    if question is None:
        return None
    return question_screen(dialog, question, ruleset, lang), AssessmentStates.question


async def store(state: FSMContext, dialog: Dialog, new_state: State | None = None) -> None:
    await dialogs.save(state, dialog, new_state)
