"""The assessment dialog's data, kept in the FSM storage (database or Redis) as plain JSON."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StateType

from bot.storage import set_state_and_data

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


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def as_data(dialog: Dialog) -> dict[str, Any]:
    """The FSM data holding ``dialog``: what ``dataclasses.asdict`` gives, without its generic
    deep copy (the answers are JSON: dicts, lists and scalars)."""
    return {
        KEY: {
            "token": dialog.token,
            "org_kind": dialog.org_kind,
            "position": dialog.position,
            "answers": _copied(dialog.answers),
            "history": list(dialog.history),
            "step": dialog.step,
            "checklist": list(dialog.checklist),
            "editing": dialog.editing,
            "page": dialog.page,
            "assessment_id": dialog.assessment_id,
        }
    }


async def save(state: FSMContext, dialog: Dialog, new_state: StateType = None) -> None:
    """The dialog is all the FSM data holds: one write, not a read-modify-write; with
    ``new_state``, the state is set in the same write."""
    if new_state is None:
        await state.set_data(as_data(dialog))
    else:
        await set_state_and_data(state, new_state, as_data(dialog))
