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


class ReminderSchedule(SQLModel, table=True):
    """When the reminder sweep next has to look at a teacher (``backend.courses.schedule``).

    ``next_at`` (UTC) is a lower bound: no course reminder or check-in of the teacher can fall
    due before it; NULL means nothing is ahead until something changes. Database triggers set it
    to the epoch ("look now") whenever the teacher's courses, reminder choices, reachability or
    memberships change; the sweep takes the rows with ``next_at`` at or before its send moment
    through the index and sets the next value after it enqueued what was due.
    """

    __tablename__ = "reminder_schedule"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    next_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class SweepState(SQLModel, table=True):
    """Small facts the sweep keeps between runs: the basis the schedule was computed on, and
    the testing-window passes already completed for every teacher."""

    __tablename__ = "sweep_state"

    name: str = Field(primary_key=True, max_length=128)
    value: str = Field(max_length=512)
