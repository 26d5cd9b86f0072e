"""The assessment dialog's data, kept in the FSM storage (database or Redis) as plain JSON."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from aiogram.fsm.context import FSMContext

KEY = "assessment"


@dataclass
class Dialog:
    token: str  # changes with every new dialog: buttons of older dialogs are recognised as stale
    org_kind: str | None = None
    position: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)  # facts in the order they were answered
    step: int = 0  # increases with every question shown; buttons carry it
    checklist: list[str] = field(default_factory=list)  # ticked items of the open checklist
    editing: str | None = None  # the fact being changed from the review screen
    page: int = 0
    assessment_id: int | None = None  # the stored result shown last (its PDF button)

    @classmethod
    def new(cls, **values: Any) -> Dialog:
        return cls(token=secrets.token_hex(3), **values)


async def load(state: FSMContext) -> Dialog | None:
    raw = (await state.get_data()).get(KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return Dialog(**raw)
    except TypeError:
        return None  # stored by an incompatible version: start afresh rather than fail


async def save(state: FSMContext, dialog: Dialog) -> None:
    # The dialog is all the FSM data holds: one write, not a read-modify-write.
    await state.set_data({KEY: asdict(dialog)})
