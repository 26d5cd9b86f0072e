"""A university teacher's self-check against one profession card (Order 616)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow


class UniversitySelfCheck(SQLModel, table=True):
    __tablename__ = "university_self_check"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    card: int
    ratings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # item id -> 0..3
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
