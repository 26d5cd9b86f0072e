"""Self-assessment dialog states. Their names are stored (database or Redis): a stable API."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AssessmentStates(StatesGroup):
    org_kind = State()  # choose the kind of organisation (or type a position's name)
    position = State()  # choose the position from a paged list (or type its name)
    question = State()  # answer the question the engine asked
    review = State()  # look over every answer, change any
    result = State()  # the outcome is shown
