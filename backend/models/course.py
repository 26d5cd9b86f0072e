from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class CourseRecordBase(SQLModel):
    completed_on: dt.date
    title: str = Field(max_length=512)
    provider: str = Field(max_length=64)  # orleu, talap, other
    hours: int | None = Field(default=None, ge=1, le=2000)
    certificate_number: str | None = Field(default=None, max_length=64)
    # Order 266: short, long_term (one of the seven programmes of para 26), heads, other
    course_kind: str = Field(default="other", max_length=16)
    programme: str | None = Field(default=None, max_length=8)
    topic: str | None = Field(default=None, max_length=256)  # the certificate's topic, para 25


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


class CourseCheckin(SQLModel, table=True):
    """A teacher's answers to a post-course check-in (Order 266 para 31): one row per course and
    stage (months after the certificate). Sending is the outbox's business (dedupe key
    ``checkin:<course id>:<months>``); this row exists once the teacher answered."""

    __tablename__ = "course_checkin"
    __table_args__ = (UniqueConstraint("course_id", "months"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("course_record.id", ondelete="CASCADE"), nullable=False
        )
    )
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    months: int
    applied: str | None = Field(default=None, max_length=8)  # yes | partly | no
    wants_support: bool | None = None
    answered_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CourseRecordRead(CourseRecordBase):
    id: int
