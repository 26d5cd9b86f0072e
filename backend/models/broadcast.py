from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow

BroadcastStatus = Literal["draft", "scheduled", "running", "paused", "done", "cancelled"]


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    curator_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    status: str = Field(default="draft", max_length=16)
    topic: str = Field(max_length=32)
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    content: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType
    )  # variants per language
    text_sha256: str | None = Field(default=None, max_length=64)
    channel_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="SET NULL"), nullable=True),
    )  # a post to a registered channel or group instead of people
    recipient_count: int = 0
    # What the recipients' outbox rows added up to when the broadcast ended: the audit record
    # outlives those rows, which the retention job purges.
    sent_count: int = 0
    failed_count: int = 0
    blocked_count: int = 0
    cancelled_count: int = 0
    created_via: str = Field(default="bot", max_length=8)  # bot | api
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_message_id: int | None = None
    scheduled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BroadcastRecipient(SQLModel, table=True):
    __tablename__ = "broadcast_recipient"
    __table_args__ = (UniqueConstraint("broadcast_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("broadcast.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(default="pending", max_length=16)
    notification_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("notification.id", ondelete="SET NULL"), nullable=True
        ),
    )
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
