"""Curators, topic subscriptions, registered channels and monthly material submissions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow

ScopeKind = Literal["everyone", "region", "orgs"]


class CuratorScope(SQLModel, table=True):
    """Whom a curator may reach: everyone, some regions, or listed organisations.

    The curator role itself is a ``user_role`` row; this row says how far it reaches.
    """

    __tablename__ = "curator_scope"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(default="everyone", max_length=16)
    regions: list[str] = Field(default_factory=list, sa_type=JSONType)
    organisation_ids: list[int] = Field(default_factory=list, sa_type=JSONType)
    granted_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    granted_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TopicSubscription(SQLModel, table=True):
    """A user's explicit choice for a news topic; no row means the topic's default."""

    __tablename__ = "topic_subscription"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    topic: str = Field(sa_column=Column(String(32), primary_key=True))
    subscribed: bool = True
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Channel(SQLModel, table=True):
    """A channel or group where the bot is an administrator and curators may post."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    title: str = Field(max_length=256)
    kind: str = Field(max_length=16)  # channel | group | supergroup
    username: str | None = Field(default=None, max_length=64)
    organisation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True
        ),
    )
    links: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # {"channel","chat"}
    registered_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Submission(SQLModel, table=True):
    """Material an organisation's responsible employee sent for the month, for review."""

    __table_args__ = (UniqueConstraint("organisation_id", "month", "source_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    month: str = Field(max_length=7)  # YYYY-MM in Asia/Almaty
    source_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    source_message_id: int
    status: str = Field(default="pending", max_length=16)  # pending | relayed | rejected
    reviewed_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True),
    )
    reviewed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
