"""How far a broadcast has got: the progress counts and the per-recipient CSV report.

The read side of backend.broadcasts.service, which re-exports everything here (callers keep
using ``broadcasts.progress`` / ``broadcasts.report_csv``). Both read the broadcast's outbox rows:
their status is each recipient's status. The ownership check lives here too because the report
needs it and the write side must not be imported from here (broadcasts imports this module).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.broadcasts.audience import OutOfScopeError
from backend.broadcasts.statuses import RECIPIENT_STATUS
from backend.curators import is_admin, scope_of
from backend.exports import Cell, to_csv
from backend.i18n import N_, translations
from backend.models import Broadcast, Notification, User
from backend.models.types import utcnow

# Outbox statuses of a recipient still waiting: "held" is a paused broadcast's pending row.
WAITING = ("pending", "sending", "held")
REPORT_HEADER = ("user_id", "name", "username", "status", "sent_at", "error")
# The same columns as the curator reads them (msgids).
REPORT_COLUMNS = (
    N_("User id"),
    N_("Name"),
    N_("Username"),
    N_("Status"),
    N_("Sent at (Almaty time)"),
    N_("Error"),
)
DISPLAY_ZONE = ZoneInfo("Asia/Almaty")


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


async def owned_broadcast(session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    """The broadcast if the actor may act on it: its curator (still a curator) or an admin."""
    await scope_of(session=session, user_id=actor_id)  # NotCuratorError for anyone else
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    if broadcast.curator_id != actor_id and not await is_admin(session=session, user_id=actor_id):
        raise OutOfScopeError(f"broadcast {broadcast_id} belongs to another curator")
    return broadcast


def _blocked() -> ColumnElement[bool]:
    """A failed row whose recipient blocked the bot (SQL twin of ``_is_blocked``)."""
    return and_(
        col(Notification.status) == "failed",
        or_(
            col(User.unreachable_at).is_not(None),
            col(Notification.last_error).startswith("blocked"),
        ),
    )


def _is_blocked(row: Notification, user: User | None) -> bool:
    """A failed row whose recipient blocked the bot (Python twin of ``_blocked``)."""
    return row.status == "failed" and (
        (user is not None and user.unreachable_at is not None)
        or (row.last_error or "").startswith("blocked")
    )


async def _status_counts(session: AsyncSession, broadcast_id: int) -> tuple[dict[str, int], int]:
    """Outbox rows per status, and how many of the failed ones are blocked."""
    rows = await session.exec(
        select(
            Notification.status,
            func.count(),
            func.sum(case((_blocked(), 1), else_=0)),
        )
        .outerjoin(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.broadcast_id) == broadcast_id)
        .group_by(col(Notification.status))
    )
    counts: dict[str, int] = {}
    blocked = 0
    for status, n, n_blocked in rows.all():
        counts[status] = int(n)
        blocked += int(n_blocked or 0)
    return counts, blocked


RATE_WINDOW = dt.timedelta(minutes=1)  # the sends the rate is measured on
MIN_RATE_SPAN = 1.0  # seconds: a burst just sent does not make the rate infinite


async def _send_rate(session: AsyncSession, broadcast_id: int, now: dt.datetime) -> float | None:
    """Recipients per second, measured over the span actually observed: from the first send in
    the last minute to now. Dividing by a full minute when the sending began seconds ago made
    "about 3 min" of a broadcast that ended 17 s later."""
    count, first = (
        await session.exec(
            select(func.count(), func.min(Notification.sent_at))
            .where(col(Notification.broadcast_id) == broadcast_id)
            .where(col(Notification.status) == "sent")
            .where(col(Notification.sent_at) >= now - RATE_WINDOW)
        )
    ).one()
    if not count or first is None:
        return None
    if first.tzinfo is None:  # SQLite gives naive UTC
        first = first.replace(tzinfo=dt.UTC)
    span = max((now - first).total_seconds(), MIN_RATE_SPAN)
    return int(count) / span


async def progress(
    *, session: AsyncSession, broadcast_id: int, now: dt.datetime | None = None
) -> Progress:
    now = now or utcnow()
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    counts, blocked = await _status_counts(session, broadcast_id)
    if not counts and broadcast.status in ("done", "cancelled"):
        # The retention job purged the rows; the totals recorded when it ended remain.
        counts = {
            "sent": broadcast.sent_count,
            "failed": broadcast.failed_count + broadcast.blocked_count,
            "cancelled": broadcast.cancelled_count,
        }
        blocked = broadcast.blocked_count
    remaining = sum(counts.get(s, 0) for s in WAITING)
    # The observed rate: independent of configured limits, honest under 429s.
    rate = await _send_rate(session, broadcast_id, now) if remaining else None
    eta = remaining / rate if rate else None
    return Progress(
        broadcast_id=broadcast_id,
        status=broadcast.status,
        total=sum(counts.values()) or broadcast.recipient_count,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0) - blocked,
        blocked=blocked,
        cancelled=counts.get("cancelled", 0),
        remaining=remaining,
        eta_seconds=eta,
        scheduled_at=broadcast.scheduled_at,
        extra={"topic": broadcast.topic, "channel_id": broadcast.channel_id},
    )


def _error_cell(row: Notification) -> str | None:
    """The last error of a row not delivered, on one line; a sent row had its retries' errors
    overcome, so it shows none."""
    if row.status == "sent" or not row.last_error:
        return None
    return " ".join(row.last_error.split())


def _sent_at(value: dt.datetime | None) -> str | None:
    return value.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y %H:%M") if value else None


async def report_csv(
    *, session: AsyncSession, actor_id: int, broadcast_id: int, language: str | None = None
) -> bytes:
    """Per-recipient report (no formula injection: backend.exports).

    Without ``language`` (the API): the status codes and UTC times of ``REPORT_HEADER``. With
    it (the curator in the bot): headers and statuses in that language, times in Almaty time.
    """
    await owned_broadcast(session, actor_id, broadcast_id)
    rows = await session.exec(
        select(Notification, User)
        .outerjoin(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.broadcast_id) == broadcast_id)
        .order_by(col(Notification.id))
    )
    t = None if language is None else translations(language)
    lines: list[list[Cell]] = []
    for row, user in rows.all():
        status = "blocked" if _is_blocked(row, user) else row.status
        if t is not None and status in RECIPIENT_STATUS:
            status = t.gettext(RECIPIENT_STATUS[status])
        lines.append(
            [
                row.user_id,
                user.full_name if user else None,
                user.username if user else None,
                t.gettext(RECIPIENT_STATUS[status])
                if t and status in RECIPIENT_STATUS
                else status,
                row.sent_at if t is None else _sent_at(row.sent_at),
                _error_cell(row),
            ]
        )
    header = REPORT_HEADER if t is None else tuple(t.gettext(name) for name in REPORT_COLUMNS)
    return to_csv(header, lines)
