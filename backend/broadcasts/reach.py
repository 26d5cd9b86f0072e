"""A broadcast's reach as chart data (backend.pictures.reach): running totals per minute and the
outcome per organisation or region.

Read from the broadcast's outbox rows, like its progress and CSV report: a sent row counts at
``sent_at``; a failed row at ``next_attempt_at``, the end of the lease of its last attempt (the
row keeps no failure time, and the lease is seconds long). Blocked is the progress' rule: a
failed row whose recipient blocked the bot. Groups are the recipients' organisations when they
all live in one region (a regional curator), else their regions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import directory
from backend.models import Membership, Notification, Organisation, User
from backend.pictures.catalog import Catalog
from backend.pictures.reach import (
    Counts,
    ReachData,
    ReachGroup,
    ReachPoint,
    reach_labels,
    render_reach,
)

Grouping = Literal["organisation", "region"]
Outcome = Literal["sent", "blocked", "failed"]
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class _Row:
    outcome: Outcome
    at: dt.datetime
    region: str | None
    organisation: str | None


def _counts(outcome: Outcome) -> Counts:
    return Counts(sent=outcome == "sent", blocked=outcome == "blocked", failed=outcome == "failed")


async def _rows(session: AsyncSession, broadcast_id: int) -> list[_Row]:
    # a teacher on several staffs counts once, for the organisation they joined first
    recipients = select(Notification.user_id).where(col(Notification.broadcast_id) == broadcast_id)
    first_org = (
        select(Membership.user_id, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
        .where(col(Membership.user_id).in_(recipients))
        .order_by(col(Membership.user_id), col(Membership.id))
    )
    organisations: dict[int, str] = {}
    for user_id, name in (await session.exec(first_org)).all():
        organisations.setdefault(user_id, name)
    result = await session.exec(
        select(Notification, User)
        .outerjoin(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.broadcast_id) == broadcast_id)
        .where(col(Notification.status).in_(("sent", "failed")))
    )
    rows: list[_Row] = []
    for row, user in result.all():
        if row.status == "sent":
            outcome: Outcome = "sent"
            at = row.sent_at or row.next_attempt_at
        else:
            blocked = (user is not None and user.unreachable_at is not None) or (
                row.last_error or ""
            ).startswith("blocked")
            outcome = "blocked" if blocked else "failed"
            at = row.next_attempt_at
        rows.append(
            _Row(
                outcome,
                at,
                user.region if user else None,
                organisations.get(user.id) if user and user.id is not None else None,
            )
        )
    return rows


def _points(rows: list[_Row], tz: ZoneInfo) -> list[ReachPoint]:
    """Running totals at the end of each minute that saw a delivery, in local time."""
    per_minute: dict[dt.datetime, Counts] = {}
    for row in rows:
        minute = row.at.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None)
        per_minute[minute] = per_minute.get(minute, Counts()) + _counts(row.outcome)
    points: list[ReachPoint] = []
    running = Counts()
    for minute in sorted(per_minute):
        running = running + per_minute[minute]
        points.append(ReachPoint(minute + MINUTE, running))
    if points:  # the chart starts from nothing, a minute before the first delivery
        points.insert(0, ReachPoint(points[0].at - MINUTE, Counts()))
    return points


def _groups(
    rows: list[_Row], grouping: Grouping, language: str, catalog: Catalog
) -> list[ReachGroup]:
    _ = catalog.gettext
    totals: dict[str, Counts] = {}
    for row in rows:
        if grouping == "region":
            name = _region_name(row.region, language) or _("region not given")
        else:
            name = row.organisation or _("no organisation")
        totals[name] = totals.get(name, Counts()) + _counts(row.outcome)
    return [ReachGroup(name, counts) for name, counts in totals.items()]


def _region_name(code: str | None, language: str) -> str | None:
    try:
        return directory.region(code).name(language) if code else None
    except KeyError:  # a code from before the directory changed: shown as stored
        return code


async def reach_data(
    *,
    session: AsyncSession,
    broadcast_id: int,
    recipients: int,
    tz: ZoneInfo,
    language: str,
    catalog: Catalog,
) -> tuple[ReachData, Grouping]:
    rows = await _rows(session, broadcast_id)
    regions = Counter(row.region for row in rows)
    grouping: Grouping = "organisation" if len(regions) <= 1 else "region"
    data = ReachData(
        points=_points(rows, tz),
        groups=_groups(rows, grouping, language, catalog),
        recipients=max(recipients, len(rows)),
    )
    return data, grouping


async def reach_chart(
    *,
    session: AsyncSession,
    broadcast_id: int,
    recipients: int,
    tz: ZoneInfo,
    language: str,
    catalog: Catalog,
) -> bytes:
    """The reach chart PNG: read on the event loop, drawn in a worker thread."""
    data, grouping = await reach_data(
        session=session,
        broadcast_id=broadcast_id,
        recipients=recipients,
        tz=tz,
        language=language,
        catalog=catalog,
    )
    labels = reach_labels(catalog, data, broadcast_id=broadcast_id, grouping=grouping)
    return await asyncio.to_thread(render_reach, data, labels)
