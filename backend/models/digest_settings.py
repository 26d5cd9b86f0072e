"""An organisation's own weekly digest schedule (the console's digest settings page)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class OrganisationDigest(SQLModel, table=True):
    """When the weekly digest goes to an organisation's staff: on or off, the weekday and the
    local time (Asia/Almaty). Without a row the defaults of ``SANAT_STAFF_DIGEST_*`` apply."""

    __tablename__ = "organisation_digest"

    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
        )
    )
    enabled: bool = True
    weekday: int  # 0 = Monday
    minute_of_day: int  # local time, minutes after midnight (0..1439)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
