"""The news section's buttons, and the one-tap unsubscribe under every broadcast."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class UnsubscribeCallback(CallbackData, prefix="unsub"):
    """Under every broadcast: one tap leaves its topic (``unsub:<topic>``; a UMO topic
    "umo:011" as "umo.011", see ``backend.directory.callback_topic``)."""

    topic: str


class TopicToggleCallback(CallbackData, prefix="nt"):
    topic: str  # backend.directory.callback_topic of the topic code


class ResubscribeCallback(CallbackData, prefix="nre"):
    """Undo of a one-tap unsubscribe."""

    topic: str


class RegionPageCallback(CallbackData, prefix="nrp"):
    page: int


class RegionCallback(CallbackData, prefix="nr"):
    code: str  # a region code, or NO_REGION


NO_REGION = "-"
