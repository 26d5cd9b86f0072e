from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow


class TeacherProfile(SQLModel, table=True):
    """Saved answers, so a teacher can re-run an assessment without retyping."""

    __tablename__ = "teacher_profile"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    position_id: str | None = Field(default=None, max_length=8)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    current_category: str | None = Field(default=None, max_length=24)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AssessmentBase(SQLModel):
    position_id: str = Field(max_length=8, index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    outcome: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    ruleset_version: str = Field(max_length=32)
    as_of: dt.date


class Assessment(AssessmentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AssessmentRead(AssessmentBase):
    id: int
    created_at: dt.datetime
