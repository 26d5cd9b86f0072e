from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow

DIALOG_KEY_LENGTH = 200


class DialogState(SQLModel, table=True):
    """The bot's dialog (FSM) state and data for one aiogram storage key.

    ``key`` encodes the whole ``StorageKey`` (bot, chat, user, thread, business connection,
    destiny); a row with neither state nor data is deleted rather than kept.
    """

    __tablename__ = "dialog_state"

    key: str = Field(primary_key=True, max_length=DIALOG_KEY_LENGTH)
    state: str | None = Field(default=None, max_length=256)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
