"""Outbox retention: finished notifications (sent, failed, cancelled) are deleted after a while.

The outbox row is also the *memory* of the course sweep (``backend.courses.sweep``): a
reminder is enqueued when its dedupe key is absent. The sweep only ever inserts the milestone
that is the latest one reached *today*, so a row may go once its milestone can no longer be the
latest one: that is at most the widest gap between two rungs of the ladder after the row was
created (plus a day, because the sweep looks at the day of the send moment, up to the next
morning). Testing-window reminders are re-enqueued only during the notice days before a window
opens. Rows of those two kinds are therefore kept at least that long, whatever
``retention_days`` says; every other kind (broadcasts, digests, …) goes after ``retention_days``.

The sweep's schedule (``backend.courses.schedule``) normally looks at a teacher again only on
their next rung's day, but any change to the teacher's courses, choices, reachability or
memberships makes it look at once: the horizon is still needed (``tests/delivery/
test_retention.py`` shows a purge without it re-sending).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select

from backend.courses.cycle import ladder_days
from backend.courses.messages import COURSE_KIND, TESTING_KIND
from backend.courses.testing import NOTICE_DAYS
from backend.db import SessionPool
from backend.models import Notification
from backend.models.types import utcnow
from backend.settings import DeliverySettings, Settings

log = logging.getLogger(__name__)

RETENTION_JOB_ID = "outbox_retention"
FINISHED = ("sent", "failed", "cancelled")
PURGE_BATCH = 5_000  # rows per transaction: short locks, bounded memory on SQLite too
SEND_MOMENT_MARGIN_DAYS = 2  # the sweep's day is the send moment's (up to the next morning)
RETENTION_HOUR = 3  # local time: a quiet hour for the database


def course_horizon_days(reminder_days: Sequence[int], overdue_every_days: int) -> int:
    """How long after it was created a course reminder row may still be re-created if absent.

    A milestone is the latest one from its own day until the next rung's day; the widest such
    gap on the ladder (the rungs before the due date, the due date to the first overdue rung,
    then every ``overdue_every_days``) bounds it.
    """
    days = ladder_days(reminder_days)
    gaps = [earlier - later for earlier, later in itertools.pairwise(days)]
    if days:
        gaps.append(days[-1] + overdue_every_days)  # the last pre-due rung to the first overdue
    gaps.append(overdue_every_days)
    return max(gaps) + SEND_MOMENT_MARGIN_DAYS


def testing_horizon_days() -> int:
    """A testing reminder is re-created only during the notice days before its window."""
    return NOTICE_DAYS + SEND_MOMENT_MARGIN_DAYS


async def purge_finished(
    session_pool: SessionPool,
    now: dt.datetime,
    retention_days: int,
    *,
    course_horizon: int | None = None,
    batch: int = PURGE_BATCH,
) -> int:
    """Delete finished outbox rows older than ``retention_days``; returns how many went.

    Age is counted from ``sent_at`` when the row was sent, else from ``created_at``. Course and
    testing reminders are additionally kept while the sweep could re-create them (see the
    module's docstring); ``course_horizon`` defaults to the default ladder's.
    """
    if course_horizon is None:
        defaults = DeliverySettings()
        course_horizon = course_horizon_days(defaults.reminder_days, defaults.overdue_every_days)
    cutoff = now - dt.timedelta(days=retention_days)
    course_cutoff = now - dt.timedelta(days=max(retention_days, course_horizon))
    testing_cutoff = now - dt.timedelta(days=max(retention_days, testing_horizon_days()))
    table = Notification.__table__  # type: ignore[attr-defined]
    c = table.c
    finished_long_ago = and_(
        c.status.in_(FINISHED), func.coalesce(c.sent_at, c.created_at) < cutoff
    )
    not_recreatable = or_(
        c.kind.notin_((COURSE_KIND, TESTING_KIND)),
        and_(c.kind == COURSE_KIND, c.created_at < course_cutoff),
        and_(c.kind == TESTING_KIND, c.created_at < testing_cutoff),
    )
    total = 0
    while True:
        async with session_pool() as session, session.begin():
            connection = await session.connection()
            # ids first, then delete by id: the same statement on PostgreSQL and SQLite
            # (neither supports DELETE … LIMIT portably)
            ids = list(
                (
                    await connection.execute(
                        select(c.id)
                        .where(finished_long_ago, not_recreatable)
                        .order_by(c.id)
                        .limit(batch)
                    )
                ).scalars()
            )
            if ids:
                await connection.execute(delete(table).where(c.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            break
    if total:
        log.info("finished notifications purged", extra={"count": total})
    return total


def add_retention_job(scheduler: Any, session_pool: SessionPool, settings: Settings) -> None:
    """Once a day at night (Almaty time), one job with a fixed id."""
    delivery = settings.delivery
    horizon = course_horizon_days(delivery.reminder_days, delivery.overdue_every_days)

    async def run() -> None:
        await purge_finished(
            session_pool, utcnow(), delivery.retention_days, course_horizon=horizon
        )

    scheduler.add_job(
        run,
        "cron",
        hour=RETENTION_HOUR,
        minute=17,
        timezone=settings.scheduler.timezone,
        id=RETENTION_JOB_ID,
        replace_existing=True,
    )
