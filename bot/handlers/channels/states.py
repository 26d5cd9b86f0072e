"""Channel and duty dialog states. Their names are stored: treat them as a stable API."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class ChannelStates(StatesGroup):
    link = State()  # a typed t.me link; data: channel id and which link
    organisation = State()  # a typed organisation name or number; data: channel id


class DutyStates(StatesGroup):
    day = State()  # a typed day 1–28; data: organisation id
    material = State()  # the next message is the material; data: organisation id
