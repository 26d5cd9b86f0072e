from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class DeliveryPause(SQLModel, table=True):
    """A pause Telegram imposed (429 retry_after), kept across restarts.

    ``scope`` is "global" or "chat:<chat id>"; the worker sends nothing in that scope before
    ``until``.
    """

    __tablename__ = "delivery_pause"

    scope: str = Field(primary_key=True, max_length=40)
    until: dt.datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=256)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReminderPreference(SQLModel, table=True):
    """A teacher's choices about course reminders: snoozed until a time, or stopped."""

    __tablename__ = "reminder_preference"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    stopped: bool = False
    snoozed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
