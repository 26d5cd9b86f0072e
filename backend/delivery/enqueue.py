"""The one way into the outbox: ``enqueue`` for a few rows, ``enqueue_from_select`` for
``INSERT … SELECT`` of many, ``enqueue_latest`` for a row that stands for "the latest state".

Every row has a unique ``dedupe_key``; inserting a key that is already there does nothing, so
each producer (sweep, duty, digest, broadcast, relay) can run again after a crash or on a second
process without sending twice. The caller owns the transaction (commits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import upsert_insert
from backend.models import Notification, User
from backend.models.types import utcnow

OutboxRow = dict[str, Any]  # Notification columns: chat_id, kind, dedupe_key, payload at least
Payload = dict[str, Any]

# Every column an enqueued row sets, in the order enqueue_from_select expects them.
OUTBOX_COLUMNS = (
    "user_id",
    "chat_id",
    "broadcast_id",
    "kind",
    "dedupe_key",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)
# The columns of a row for one person, not part of a broadcast (reminders, duties, check-ins).
PERSONAL_COLUMNS = tuple(column for column in OUTBOX_COLUMNS if column != "broadcast_id")


def to_user(user: User, kind: str, dedupe_key: str, payload: Payload) -> OutboxRow:
    """An outbox row for a person's private chat (rendered in their language when sent)."""
    return {
        "user_id": user.id,
        "chat_id": user.telegram_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": payload,
    }


def _complete(row: Mapping[str, Any], now: dt.datetime) -> OutboxRow:
    missing = {"chat_id", "kind", "dedupe_key", "payload"} - set(row)
    if missing:
        raise ValueError(f"an outbox row needs {sorted(missing)}")
    unknown = set(row) - set(OUTBOX_COLUMNS)
    if unknown:
        raise ValueError(f"not outbox columns: {sorted(unknown)}")
    return {
        "user_id": None,
        "broadcast_id": None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        **row,
    }


async def _connection(target: AsyncSession | AsyncConnection) -> AsyncConnection:
    return await target.connection() if isinstance(target, AsyncSession) else target


async def enqueue(
    target: AsyncSession | AsyncConnection,
    rows: Sequence[Mapping[str, Any]],
    *,
    now: dt.datetime | None = None,
) -> int:
    """Insert ``rows`` (pending and due at ``now`` unless they say otherwise), skipping dedupe
    keys already in the outbox; returns how many went in. The caller commits."""
    if not rows:
        return 0
    now = now or utcnow()
    connection = await _connection(target)
    table = Notification.__table__  # type: ignore[attr-defined]
    values = [_complete(row, now) for row in rows]
    # One statement compiled once and executed for many rows ("insertmanyvalues": batched
    # multi-row INSERTs under the hood, within SQLite's bound-parameter limit); RETURNING counts
    # the rows that went in (a key already there returns nothing).
    statement = (
        upsert_insert(connection, table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    result = await connection.execute(statement, values)
    return len(result.all())


async def enqueue_from_select(
    target: AsyncSession | AsyncConnection,
    rows: Select[Any],
    *,
    columns: Sequence[str] = OUTBOX_COLUMNS,
) -> int:
    """``INSERT INTO notification (columns) SELECT …``: many rows in one statement, keys already
    in the outbox skipped; returns how many went in. ``rows`` selects ``columns`` in order."""
    connection = await _connection(target)
    unknown = set(columns) - set(OUTBOX_COLUMNS)
    if unknown:
        raise ValueError(f"not outbox columns: {sorted(unknown)}")
    # SQLite reads "SELECT … FROM t ON CONFLICT" as a join unless the SELECT has a WHERE.
    statement = (
        upsert_insert(connection, Notification.__table__)  # type: ignore[attr-defined]
        .from_select(list(columns), rows.where(true()))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await connection.execute(statement)
    return max(result.rowcount, 0)


async def enqueue_latest(
    target: AsyncSession | AsyncConnection, row: Mapping[str, Any], *, now: dt.datetime
) -> bool:
    """Insert ``row``, or make the row already under its dedupe key pending again with this
    payload: a coalescing key, so that only the latest state is sent however often it changes
    before the worker gets to it. A row being sent right now is left alone (False): its send
    would overwrite the new state; the caller tries again later. True when the row is queued."""
    connection = await _connection(target)
    table = Notification.__table__  # type: ignore[attr-defined]
    statement = upsert_insert(connection, table).values(_complete(row, now))
    statement = statement.on_conflict_do_update(
        index_elements=["dedupe_key"],
        set_={
            "payload": statement.excluded.payload,
            "chat_id": statement.excluded.chat_id,
            "status": "pending",
            "attempts": 0,
            "last_error": None,
            "sent_at": None,
            "next_attempt_at": now,
        },
        where=col(Notification.status) != "sending",
    )
    result = await connection.execute(statement)
    return result.rowcount > 0
