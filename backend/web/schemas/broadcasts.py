"""Bodies of the broadcasts and curators API.

The models bound every field (sizes, ids, control characters); what the values mean (known
regions, a variant's required keys, the curator's scope) is checked by the broadcast services,
which name each problem with a stable code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from backend.web.schemas.common import (
    ChatId,
    Line16,
    Line32,
    Line64,
    Line256,
    Moment,
    RequestModel,
    ResponseModel,
    RowId,
    Text1024,
    Text4096,
)

MAX_FILTER_ITEMS = 100  # regions, organisations, categories in one audience


class Variant(RequestModel):
    """One language's message: text, a photo or document with a caption, or a copy."""

    type: Line32 = Field(json_schema_extra={"enum": ["text", "photo", "document", "copy"]})
    text: Text4096 | None = None
    parse_mode: Line32 | None = None
    file_id: Line256 | None = None
    caption: Text1024 | None = None
    from_chat_id: ChatId | None = None
    message_id: RowId | None = None


class AudienceBody(RequestModel):
    roles: Annotated[list[Line32], Field(max_length=8)] | None = None
    regions: Annotated[list[Line64], Field(max_length=MAX_FILTER_ITEMS)] | None = None
    organisation_ids: Annotated[list[RowId], Field(max_length=MAX_FILTER_ITEMS)] | None = None
    categories: Annotated[list[Line32], Field(max_length=MAX_FILTER_ITEMS)] | None = None


class Schedule(RequestModel):
    send_at: dt.datetime | None = Field(
        None, description="ISO time; without an offset it is Asia/Almaty time"
    )
    send_now: bool | None = None


class NewBroadcast(Schedule):
    content: Annotated[dict[Line16, Variant], Field(max_length=4)] = Field(
        description="a message variant per language (kk and/or ru); {name} is filled per recipient"
    )
    topic: Line32 = Field(
        "news", json_schema_extra={"enum": ["news", "courses", "attestation", "contests", "jobs"]}
    )
    audience: AudienceBody | None = None
    channel_id: RowId | None = None
    curator_id: RowId | None = Field(None, description="admin tokens: who it is sent as")


class Progress(ResponseModel):
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int
    eta_seconds: float | None


class Audience(ResponseModel):
    roles: list[str]
    regions: list[str]
    organisation_ids: list[int]
    categories: list[str]


class Broadcast(ResponseModel):
    id: int
    curator_id: int
    status: Literal["draft", "scheduled", "running", "paused", "done", "cancelled"]
    topic: str
    audience: dict[str, Any]
    content: dict[str, Any]
    channel_id: int | None
    recipient_count: int | None
    text_sha256: str | None
    created_via: str
    scheduled_at: Moment | None
    started_at: Moment | None
    finished_at: Moment | None
    created_at: Moment | None
    progress: Progress | None = None


class BroadcastList(ResponseModel):
    count: int
    items: list[Broadcast]


class AudienceCount(ResponseModel):
    topic: str
    audience: Audience
    count: int


class ScopeBody(RequestModel):
    kind: Literal["everyone", "region", "orgs"] = "everyone"
    regions: Annotated[list[Line64], Field(max_length=MAX_FILTER_ITEMS)] | None = None
    organisation_ids: Annotated[list[RowId], Field(max_length=MAX_FILTER_ITEMS)] | None = None


class CuratorGrant(RequestModel):
    user_id: RowId | None = None
    telegram_id: Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)] | None = None
    scope: ScopeBody | None = None


class Scope(ResponseModel):
    kind: str
    regions: list[str]
    organisation_ids: list[int]


class Curator(ResponseModel):
    user_id: int
    telegram_id: int
    full_name: str | None
    username: str | None
    scope: Scope


class CuratorList(ResponseModel):
    count: int
    items: list[Curator]
