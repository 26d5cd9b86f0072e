from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow

Language = Literal["kk", "ru", "en"]
Role = Literal["admin", "curator", "teacher", "staff", "student"]


class UserBase(SQLModel):
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, index=True, nullable=False))
    username: str | None = Field(default=None, max_length=64)
    full_name: str | None = Field(default=None, max_length=256)
    language: str | None = Field(default=None, max_length=8)  # None until the user chooses


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    region: str | None = Field(default=None, max_length=64, index=True)  # for audiences
    unreachable_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)  # 403 seen
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserRead(UserBase):
    id: int
    roles: list[str] = []


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(sa_column=Column(String(16), primary_key=True))
    granted_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
