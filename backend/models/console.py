"""The web console's sign-in links and sessions; only hashes of their tokens are stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow


class ConsoleLink(SQLModel, table=True):
    """A one-time sign-in link the bot sent to one Telegram user (``/web``)."""

    __tablename__ = "console_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, the row its hash."""

    __tablename__ = "console_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    csrf_token: str = Field(max_length=64)
    language: str | None = Field(default=None, max_length=8)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
