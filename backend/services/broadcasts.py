"""Curator broadcasts: draft, audience count, schedule or send, pause, resume, cancel, progress,
report. Delivery goes through the notification outbox (one row per recipient, ``broadcast_id``
set), so the delivery worker's limits, retries and 403 handling apply.

Interface fixed for the bot and the API; bodies being written. Each public function owns its
transaction. ``actor_id`` is the curator (or admin) acting: a curator may only act on their own
broadcasts and only reach people inside their scope (``OutOfScopeError`` otherwise).

A message variant (``content[lang]``) is one of::

    {"type": "text", "text": str, "parse_mode": "HTML" | None}
    {"type": "photo", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "document", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "copy", "from_chat_id": int, "message_id": int}   # a forwarded channel post

with ``{name}`` placeholders in text/caption filled per recipient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Broadcast

Variant = dict[str, Any]
RoleFilter = Literal["teachers", "staff", "students"]


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast: everyone in the curator's scope narrowed by each set filter."""

    roles: tuple[RoleFilter, ...] = ()  # empty: any role
    regions: tuple[str, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()  # current category codes of the rules data
    # the broadcast's topic always applies: only people subscribed to it receive it

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "regions": list(self.regions),
            "organisation_ids": list(self.organisation_ids),
            "categories": list(self.categories),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            roles=tuple(data.get("roles") or ()),
            regions=tuple(data.get("regions") or ()),
            organisation_ids=tuple(int(i) for i in data.get("organisation_ids") or ()),
            categories=tuple(data.get("categories") or ()),
        )


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    status: str  # draft | scheduled | running | paused | done | cancelled
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int
    eta_seconds: float | None  # None when nothing remains or the rate is unknown
    scheduled_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class BroadcastNotFoundError(LookupError):
    pass


class OutOfScopeError(PermissionError):
    """The audience, channel or broadcast lies outside what the actor may reach."""


class BroadcastStateError(ValueError):
    """The action does not fit the broadcast's status (e.g. resume a finished one)."""


class BroadcastInputError(ValueError):
    """Bad content, topic or audience; ``problems`` lists (field, code) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(f"{f}: {c}" for f, c in problems))
        self.problems = problems


async def create_draft(
    *,
    session: AsyncSession,
    actor_id: int,
    content: dict[str, Variant],  # language → variant; one or both of "kk", "ru"
    topic: str,
    audience: Audience,
    channel_id: int | None = None,  # post to a registered channel instead of people
    created_via: Literal["bot", "api"] = "bot",
) -> Broadcast:
    raise NotImplementedError


async def count_recipients(
    *, session: AsyncSession, actor_id: int, topic: str, audience: Audience
) -> int:
    """The exact number of people the audience reaches now (inside the actor's scope)."""
    raise NotImplementedError


async def start(
    *, session: AsyncSession, actor_id: int, broadcast_id: int, at: dt.datetime | None = None
) -> Broadcast:
    """Send now (``at`` None) or schedule for ``at`` (aware; stored UTC)."""
    raise NotImplementedError


async def pause(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    raise NotImplementedError


async def resume(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    raise NotImplementedError


async def cancel(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    raise NotImplementedError


async def get(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    raise NotImplementedError


async def list_for(*, session: AsyncSession, actor_id: int, limit: int = 20) -> list[Broadcast]:
    """The actor's broadcasts, newest first (an admin sees everyone's)."""
    raise NotImplementedError


async def progress(*, session: AsyncSession, broadcast_id: int) -> Progress:
    raise NotImplementedError


async def set_progress_message(
    *, session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the curator's progress message; the backend keeps it up to date."""
    raise NotImplementedError


async def report_csv(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> bytes:
    """Per-recipient report (no formula injection: backend.exports)."""
    raise NotImplementedError
