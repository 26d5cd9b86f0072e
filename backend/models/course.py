from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class CourseRecordBase(SQLModel):
    completed_on: dt.date
    title: str = Field(max_length=512)
    provider: str = Field(max_length=64)  # orleu, talap, other
    hours: int | None = Field(default=None, ge=1, le=2000)
    certificate_number: str | None = Field(default=None, max_length=64)


class CourseRecord(CourseRecordBase, table=True):
    __tablename__ = "course_record"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    provider_name: str | None = Field(default=None, max_length=128)  # "other": whose course
    certificate_file_id: str | None = Field(default=None, max_length=256)
    certificate_sha256: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CourseRecordRead(CourseRecordBase):
    id: int
