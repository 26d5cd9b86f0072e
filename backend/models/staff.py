"""An organisation's staff and roster: invitation links and the imported list of teachers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class Invitation(SQLModel, table=True):
    """A deep link ``t.me/<bot>?start=<token>`` joining an organisation with a role.

    Only the token's SHA-256 is stored; the link is shown once when it is made. A link for a
    roster entry (``roster_entry_id``) links the teacher who opens it to that entry.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    role: str = Field(max_length=16)  # head | hr | methodist | teacher
    roster_entry_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("roster_entry.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    max_uses: int | None = None  # None: any number of people may join through it
    uses: int = 0
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RosterEntry(SQLModel, table=True):
    """A teacher on an organisation's roster, as its staff imported them."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("organisation_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    full_name: str = Field(max_length=256)
    name_key: str = Field(max_length=256)  # casefolded, spaces collapsed: re-imports update
    position_id: str | None = Field(default=None, max_length=8)
    username: str | None = Field(default=None, max_length=64)
    last_course_on: dt.date | None = None
    category: str | None = Field(default=None, max_length=24)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
