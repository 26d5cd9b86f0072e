"""Dated events an admin keeps current: national testing windows and the like (rows, not code)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class CalendarEvent(SQLModel, table=True):
    """One dated window (``starts_on``..``ends_on``, both inclusive, Asia/Almaty days).

    ``legal_basis`` names the act that sets the dates (shown with every reminder);
    ``audience`` narrows it to one organisation kind (``None``: every teacher).
    """

    __tablename__ = "calendar_event"
    __table_args__ = (UniqueConstraint("kind", "starts_on", "audience", name="uq_calendar_event"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    starts_on: dt.date
    ends_on: dt.date
    legal_basis: str = Field(max_length=512)
    audience: str | None = Field(default=None, max_length=32)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
