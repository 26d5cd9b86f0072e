from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from backend.models.types import UTCDateTime, utcnow

ADMIN_SCOPE = "admin"


class ApiToken(SQLModel, table=True):
    """A bearer token for the per-user HTTP API, stored only as a peppered SHA-256 hash.

    ``scope`` is "admin" (everything), "curator:<user id>" (that curator's broadcasts and
    channels, within the curator's scope) or "org:<organisation id>" (that organisation's staff
    endpoints: roster import, digest export).
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(default=ADMIN_SCOPE, max_length=80)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
