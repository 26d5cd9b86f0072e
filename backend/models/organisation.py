from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow

MembershipRole = Literal["head", "hr", "methodist", "teacher"]


class OrganisationBase(SQLModel):
    name: str = Field(max_length=256)
    kind: str = Field(max_length=32)  # an org kind of the rules data: school, tvet, preschool…
    region: str | None = Field(default=None, max_length=64, index=True)


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The monthly duty (seed 003, section 3): on this day of the month (Asia/Almaty) the
    # responsible employee is asked for material if nothing was submitted that month.
    duty_day: int | None = None
    responsible_user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganisationRead(OrganisationBase):
    id: int


class Membership(SQLModel, table=True):
    """A person on an organisation's staff, with their role there."""

    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: str = Field(max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
