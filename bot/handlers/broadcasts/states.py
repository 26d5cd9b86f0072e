"""Broadcast dialog states. Their names are stored: treat them as a stable API."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class BroadcastStates(StatesGroup):
    content = State()  # waiting for the message in the curator's language
    second = State()  # waiting for the variant in the other language (or skip)
    topic = State()  # choosing the topic
    audience = State()  # roles, regions, organisations, or a channel
    preview = State()  # the preview and the exact count are shown
    schedule = State()  # typing the local time to send at
