from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from backend.models.types import JSONType, UTCDateTime, utcnow

NotificationStatus = Literal["pending", "held", "sending", "sent", "failed", "cancelled"]


class Notification(SQLModel, table=True):
    """The outbox: one message to deliver, enqueued at most once per dedupe key."""

    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    broadcast_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("broadcast.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )  # pausing or cancelling a broadcast holds or cancels its pending rows
    kind: str = Field(max_length=32)
    dedupe_key: str = Field(max_length=128, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=512)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
