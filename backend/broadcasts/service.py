"""Curator broadcasts: draft, audience count, schedule or send, pause, resume, cancel, progress,
report. Delivery goes through the notification outbox (one row per recipient, ``broadcast_id``
set), so the delivery worker's limits, retries and 403 handling apply.

Each public function owns its transaction. ``actor_id`` is the curator (or admin) acting: a
curator may only act on their own broadcasts and only reach people inside their scope
(``OutOfScopeError`` otherwise).

What a broadcast says (the message variants) is backend.broadcasts.content; who receives it (the
audience SQL) is backend.broadcasts.audience; the ticker driving running broadcasts is
backend.broadcasts.ticker; progress and the report are backend.broadcasts.progress
(re-exported here). The outbox rows are the per-recipient record: their status is
each recipient's status, and a broadcast survives restarts because nothing about its progress
lives in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import directory
from backend.broadcasts.audience import (
    ROLE_FILTERS,
    Audience,
    OutOfScopeError,
    RoleFilter,
    audience_problems,
    check_in_scope,
    count,
    recipient_rows,
    unsubscribe_buttons,
    unsubscribe_label,
)
from backend.broadcasts.content import Problems, Variant, content_problems, text_sha256
from backend.broadcasts.progress import (
    REPORT_HEADER,
    WAITING,
    BroadcastNotFoundError,
    Progress,
    owned_broadcast,
    progress,
    report_csv,
)
from backend.channels import registration as channels
from backend.curators import Scope, is_admin, scope_of
from backend.delivery.enqueue import enqueue, enqueue_from_select
from backend.models import Broadcast, Channel, Notification
from backend.models.types import utcnow

# Callers import these from here: the service is the one door to broadcasts.
__all__ = [
    "FINAL_STATUSES",
    "KIND",
    "REPORT_HEADER",
    "ROLE_FILTERS",
    "WAITING",
    "Audience",
    "BroadcastInputError",
    "BroadcastNotFoundError",
    "BroadcastStateError",
    "OutOfScopeError",
    "Progress",
    "RoleFilter",
    "Variant",
    "cancel",
    "count_recipients",
    "create_draft",
    "get",
    "list_all",
    "list_for",
    "owner_of",
    "pause",
    "progress",
    "report_csv",
    "resume",
    "set_progress_message",
    "start",
    "start_due",
    "text_sha256",
    "unsubscribe_buttons",
    "unsubscribe_label",
]

log = logging.getLogger(__name__)
KIND = "broadcast"
FINAL_STATUSES = ("done", "cancelled")


class BroadcastStateError(ValueError):
    """The action does not fit the broadcast's status (e.g. resume a finished one)."""


class BroadcastInputError(ValueError):
    """Bad content, topic or audience; ``problems`` lists (field, code) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(f"{f}: {c}" for f, c in problems))
        self.problems = problems


async def _problems(
    session: AsyncSession, content: object, topic: str, audience: Audience
) -> Problems:
    problems = content_problems(content)
    if topic not in directory.TOPIC_CODES:
        problems.append(("topic", "unknown"))
    return problems + await audience_problems(session, audience)


async def _actor_scope(session: AsyncSession, actor_id: int) -> Scope:
    """The actor's scope; NotCuratorError (a PermissionError) for anyone else."""
    return await scope_of(session=session, user_id=actor_id)


async def _channel_allowed(session: AsyncSession, actor_id: int, channel: Channel) -> bool:
    """One rule for who may post where: backend.channels.registration.list_channels."""
    allowed = await channels.list_channels(session, actor_id)
    return any(candidate.id == channel.id for candidate in allowed)


async def _enqueue(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> int:
    """Write the broadcast's outbox rows (idempotent by dedupe key); the number of rows."""
    assert broadcast.id is not None
    bid = broadcast.id
    if broadcast.channel_id is not None:
        channel = await session.get(Channel, broadcast.channel_id)
        if channel is None or not channel.active:
            raise BroadcastStateError("the channel is no longer registered")
        row = {
            "chat_id": channel.chat_id,
            "broadcast_id": bid,
            "kind": KIND,
            "dedupe_key": f"bc:{bid}:chat:{channel.chat_id}",
            "payload": {"message": broadcast.content, "params": {"name": ""}},
        }
        await enqueue(session, [row], now=now)
    else:
        dialect = (await session.connection()).dialect.name
        rows = recipient_rows(
            dialect=dialect,
            broadcast=broadcast,
            scope=await _actor_scope(session, broadcast.curator_id),
            kind=KIND,
            now=now,
        )
        await enqueue_from_select(session, rows)
    total = await session.exec(
        select(func.count()).select_from(Notification).where(col(Notification.broadcast_id) == bid)
    )
    return int(total.one())


async def _set_rows(
    session: AsyncSession, broadcast_id: int, from_statuses: Sequence[str], to: str
) -> None:
    await session.exec(
        update(Notification)
        .where(col(Notification.broadcast_id) == broadcast_id)
        .where(col(Notification.status).in_(from_statuses))
        .values(status=to)
        .execution_options(synchronize_session=False)
    )


# --- public API ---------------------------------------------------------------------------


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
    scope = await _actor_scope(session, actor_id)
    problems = await _problems(session, content, topic, audience)
    if problems:
        raise BroadcastInputError(problems)
    await check_in_scope(session, scope, audience)
    if channel_id is not None:
        channel = await session.get(Channel, channel_id)
        if channel is None:
            raise BroadcastInputError([("channel_id", "unknown")])
        if not await _channel_allowed(session, actor_id, channel):
            raise OutOfScopeError(f"channel {channel_id} is outside your scope")
    broadcast = Broadcast(
        curator_id=actor_id,
        topic=topic,
        audience=audience.to_json(),
        content=content,
        text_sha256=text_sha256(content),
        channel_id=channel_id,
        created_via=created_via,
    )
    session.add(broadcast)
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def count_recipients(
    *, session: AsyncSession, actor_id: int, topic: str, audience: Audience
) -> int:
    """The exact number of people the audience reaches now (inside the actor's scope)."""
    scope = await _actor_scope(session, actor_id)
    problems = await _problems(session, {"ru": {"type": "text", "text": "-"}}, topic, audience)
    if problems:
        raise BroadcastInputError(problems)
    await check_in_scope(session, scope, audience)
    return await count(session, scope, topic, audience)


def _require(broadcast: Broadcast, *allowed: str) -> None:
    if broadcast.status not in allowed:
        raise BroadcastStateError(
            f"broadcast {broadcast.id} is {broadcast.status}, expected {' or '.join(allowed)}"
        )


async def start(
    *,
    session: AsyncSession,
    actor_id: int,
    broadcast_id: int,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Broadcast:
    """Send now (``at`` None) or schedule for ``at`` (aware; stored UTC).

    A scheduled broadcast may be rescheduled or sent at once.
    """
    now = now or utcnow()
    broadcast = await owned_broadcast(session, actor_id, broadcast_id)
    _require(broadcast, "draft", "scheduled")
    if at is not None:
        if at.tzinfo is None:
            raise BroadcastInputError([("send_at", "naive")])
        if at <= now:
            raise BroadcastInputError([("send_at", "past")])
        broadcast.status = "scheduled"
        broadcast.scheduled_at = at.astimezone(dt.UTC)
        await session.commit()
        await session.refresh(broadcast)
        return broadcast
    return await _launch(session, broadcast, now)


async def _launch(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> Broadcast:
    # Status, rows and count in one transaction: after a crash either all exist or none.
    broadcast.status = "running"
    broadcast.started_at = now
    broadcast.recipient_count = await _enqueue(session, broadcast, now)
    if broadcast.recipient_count == 0:
        broadcast.status = "done"
        broadcast.finished_at = now
    await session.commit()
    await session.refresh(broadcast)
    # The audit trail: who sent what (by hash) to whom and how many, next to the row itself.
    log.info(
        "broadcast started",
        extra={
            "broadcast_id": broadcast.id,
            "curator_id": broadcast.curator_id,
            "topic": broadcast.topic,
            "audience": broadcast.audience,
            "channel_id": broadcast.channel_id,
            "text_sha256": broadcast.text_sha256,
            "recipient_count": broadcast.recipient_count,
        },
    )
    return broadcast


async def start_due(*, session: AsyncSession, now: dt.datetime) -> list[int]:
    """Start every scheduled broadcast whose time has come; their ids."""
    due = (
        await session.exec(
            select(Broadcast.id)
            .where(col(Broadcast.status) == "scheduled")
            .where(col(Broadcast.scheduled_at) <= now)
            .order_by(col(Broadcast.scheduled_at))
        )
    ).all()
    started: list[int] = []
    for broadcast_id in due:
        assert broadcast_id is not None
        # Claim it first so two tickers never start the same broadcast twice.
        claimed = await session.exec(
            update(Broadcast)
            .where(col(Broadcast.id) == broadcast_id)
            .where(col(Broadcast.status) == "scheduled")
            .values(status="running")
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:
            await session.rollback()
            continue
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        assert broadcast is not None
        try:
            await _launch(session, broadcast, now)
        except PermissionError:
            # The curator lost the role since scheduling: nobody is sent anything.
            await session.rollback()
            await session.exec(
                update(Broadcast)
                .where(col(Broadcast.id) == broadcast_id)
                .values(status="cancelled", finished_at=now)
            )
            await session.commit()
            continue
        started.append(broadcast_id)
    return started


@dataclass(frozen=True)
class _Switch:
    """A status change from one of ``when`` to ``to``, moving waiting rows ``rows_from`` to
    ``rows_to``.
    """

    when: tuple[str, ...]
    rows_from: tuple[str, ...]
    rows_to: str
    to: str


_PAUSE = _Switch(when=("running",), rows_from=("pending",), rows_to="held", to="paused")
_RESUME = _Switch(when=("paused",), rows_from=("held",), rows_to="pending", to="running")
_CANCEL = _Switch(
    when=("draft", "scheduled", "running", "paused"),
    rows_from=("pending", "held"),
    rows_to="cancelled",
    to="cancelled",
)


async def pause(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    return await _switch(session, actor_id, broadcast_id, _PAUSE)


async def resume(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    return await _switch(session, actor_id, broadcast_id, _RESUME)


async def cancel(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    return await _switch(session, actor_id, broadcast_id, _CANCEL)


async def _switch(
    session: AsyncSession, actor_id: int, broadcast_id: int, switch: _Switch
) -> Broadcast:
    """Apply ``switch`` to the broadcast and its waiting outbox rows, in one transaction."""
    broadcast = await owned_broadcast(session, actor_id, broadcast_id)
    _require(broadcast, *switch.when)
    await _set_rows(session, broadcast_id, switch.rows_from, switch.rows_to)
    broadcast.status = switch.to
    if switch.to in FINAL_STATUSES:
        broadcast.finished_at = utcnow()
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def get(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    return await owned_broadcast(session, actor_id, broadcast_id)


async def list_for(*, session: AsyncSession, actor_id: int, limit: int = 20) -> list[Broadcast]:
    """The actor's broadcasts, newest first (an admin sees everyone's)."""
    await _actor_scope(session, actor_id)
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    if not await is_admin(session=session, user_id=actor_id):
        query = query.where(col(Broadcast.curator_id) == actor_id)
    return list((await session.exec(query)).all())


async def set_progress_message(
    *, session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the curator's progress message; the backend keeps it up to date."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    broadcast.progress_chat_id = chat_id
    broadcast.progress_message_id = message_id
    await session.commit()


async def owner_of(*, session: AsyncSession, broadcast_id: int) -> int:
    """The curator a broadcast belongs to (the API acts as them for an admin token)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    return broadcast.curator_id


async def list_all(*, session: AsyncSession, limit: int = 20) -> list[Broadcast]:
    """Everyone's broadcasts, newest first (the API's admin token; no person behind it)."""
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    return list((await session.exec(query)).all())
