"""The backend's broadcast heartbeat: start what is due, finish what is over, keep each curator's
progress message current, and send the final report.

Everything it needs is in the database (broadcast status, outbox rows), so a restart loses
nothing: the next tick picks up where the last one stopped. It talks to Telegram only through
the outbox: the progress message is edited by an outbox row under one key per broadcast
(``bc:<id>:progress``), rewritten with the latest text while it waits, so the delivery worker
sends only the latest edit, within the same rate limits as every other message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.broadcasts import service as broadcasts
from backend.broadcasts.texts import final_report_payload, progress_edit_payload
from backend.db import SessionPool
from backend.delivery.enqueue import enqueue, enqueue_latest
from backend.models import Broadcast, Notification, User
from backend.models.types import utcnow
from backend.settings import Settings

log = logging.getLogger(__name__)

JOB_ID = "broadcast_ticker"
CANCELLED_WINDOW = dt.timedelta(minutes=10)  # a cancel is seen by a tick well within this
REPORT_KIND = "broadcast_report"
PROGRESS_KIND = "broadcast_progress"  # an edit of the curator's progress message
# Broadcast id → the edit (text and keyboard) the ticker last queued for its progress message.
ShownMessages = dict[int, str]


async def tick(
    session_pool: SessionPool,
    now: dt.datetime,
    shown: ShownMessages | None = None,
) -> None:
    """One heartbeat. ``shown`` is the ticker's memory of its last edits (kept across ticks by
    ``add_broadcast_job``): a progress message is edited only when what it shows has changed.
    """
    shown = {} if shown is None else shown
    async with session_pool() as session:
        await settle_stopped(session=session)
        started = await broadcasts.start_due(session=session, now=now)
        in_flight = await running_ids(session=session)
        finished: list[int] = []
        for broadcast_id in in_flight:
            if await finish_if_done(session=session, broadcast_id=broadcast_id, now=now):
                finished.append(broadcast_id)
        # A scheduled broadcast with nobody left to reach is done as soon as it starts.
        for broadcast_id in started:
            broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
            if broadcast is not None and broadcast.status == "done":
                finished.append(broadcast_id)
        # Cancelled ones end too: their message loses its buttons and the curator gets the
        # report (once: enqueue_report is idempotent).
        for broadcast_id in await recently_cancelled_ids(
            session=session, since=now - CANCELLED_WINDOW
        ):
            if not await _exists(session, _report_key(broadcast_id)):
                finished.append(broadcast_id)
        for broadcast_id in finished:
            await enqueue_report(session, broadcast_id, now)
        current = list(dict.fromkeys([*started, *in_flight, *finished]))
    for broadcast_id in current:
        await _refresh_progress_message(session_pool, broadcast_id, now, shown)
    # Forget broadcasts this tick no longer touches, so the memory stays as small as the work.
    for broadcast_id in set(shown) - set(current):
        del shown[broadcast_id]


async def enqueue_report(session: AsyncSession, broadcast_id: int, now: dt.datetime) -> None:
    """Send the curator the final report through the outbox (once: a fixed dedupe key)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    curator = await session.get(User, broadcast.curator_id) if broadcast else None
    if broadcast is None or curator is None:
        return
    progress = await broadcasts.progress(session=session, broadcast_id=broadcast_id, now=now)
    key = _report_key(broadcast_id)
    if await _exists(session, key):
        return
    # The audit record keeps the totals: the outbox rows behind them are purged later.
    broadcast.sent_count, broadcast.failed_count = progress.sent, progress.failed
    broadcast.blocked_count, broadcast.cancelled_count = progress.blocked, progress.cancelled
    session.add(broadcast)
    row = {
        "user_id": curator.id,
        "chat_id": curator.telegram_id,
        "kind": REPORT_KIND,
        "dedupe_key": key,
        "payload": final_report_payload(progress),
    }
    await enqueue(session, [row], now=now)  # another ticker's report first: nothing happens
    await session.commit()


def _report_key(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:report"


async def _exists(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.exec(
        select(Notification.id).where(col(Notification.dedupe_key) == dedupe_key)
    )
    return found.first() is not None


def _progress_key(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:progress"


async def _refresh_progress_message(
    session_pool: SessionPool,
    broadcast_id: int,
    now: dt.datetime,
    shown: ShownMessages,
) -> None:
    async with session_pool() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.progress_chat_id is None:
            return
        if broadcast.progress_message_id is None:
            return
        progress = await broadcasts.progress(session=session, broadcast_id=broadcast_id, now=now)
        payload = progress_edit_payload(progress, broadcast.progress_message_id)
        rendered = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        if shown.get(broadcast_id) == rendered:
            return  # nothing changed since our last edit: spare Telegram the call
        row = {
            "user_id": broadcast.curator_id,  # rendered in the curator's language
            "chat_id": broadcast.progress_chat_id,
            "kind": PROGRESS_KIND,
            "dedupe_key": _progress_key(broadcast_id),
            "payload": payload,
        }
        queued = await enqueue_latest(session, row, now=now)
        await session.commit()
    if queued:
        shown[broadcast_id] = rendered
    # else the previous edit is being sent right now: the next tick queues this one


# --- what the ticker asks of the broadcasts' rows -----------------------------------------


async def running_ids(*, session: AsyncSession) -> list[int]:
    """Broadcasts still in flight (running or paused), for the ticker."""
    rows = await session.exec(
        select(Broadcast.id).where(col(Broadcast.status).in_(("running", "paused")))
    )
    return [i for i in rows.all() if i is not None]


async def finish_if_done(*, session: AsyncSession, broadcast_id: int, now: dt.datetime) -> bool:
    """Mark a running broadcast done once none of its rows waits; True if it just finished."""
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status != "running":
        return False
    waiting = (
        await session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.broadcast_id) == broadcast_id)
            .where(col(Notification.status).in_(broadcasts.WAITING))
        )
    ).one()
    if waiting:
        return False
    finished = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .where(col(Broadcast.status) == "running")
        .values(status="done", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(finished.rowcount)


async def settle_stopped(*, session: AsyncSession) -> None:
    """Hold or cancel rows that became pending again after a pause or cancel.

    A row being sent during the pause may come back from the worker as a retry (``pending``);
    without this it would go out although the curator stopped the broadcast.
    """
    for status, to in (("paused", "held"), ("cancelled", "cancelled")):
        stopped = select(Broadcast.id).where(col(Broadcast.status) == status)
        await session.exec(
            update(Notification)
            .where(col(Notification.status) == "pending")
            .where(col(Notification.broadcast_id).in_(stopped.scalar_subquery()))
            .values(status=to)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


async def recently_cancelled_ids(*, session: AsyncSession, since: dt.datetime) -> list[int]:
    """Broadcasts cancelled since ``since``: their progress message still shows the buttons."""
    rows = await session.exec(
        select(Broadcast.id)
        .where(col(Broadcast.status) == "cancelled")
        .where(col(Broadcast.started_at).is_not(None))  # a cancelled draft has nothing to report
        .where(col(Broadcast.finished_at) >= since)
    )
    return [i for i in rows.all() if i is not None]


def add_broadcast_job(scheduler: Any, session_pool: SessionPool, settings: Settings) -> None:
    """Put the ticker on the backend's APScheduler (one job, fixed id, every interval)."""
    # Lives as long as the process: after a restart each progress message is edited once more.
    shown: ShownMessages = {}

    async def run() -> None:
        await tick(session_pool, utcnow(), shown)

    scheduler.add_job(
        run,
        "interval",
        seconds=settings.broadcast.progress_interval_seconds,
        id=JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
