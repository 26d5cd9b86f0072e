"""Staff dialog states. Their names are stored: treat them as a stable API."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffStates(StatesGroup):
    upload = State()  # waiting for the roster file (.csv or .xlsx) as a document
