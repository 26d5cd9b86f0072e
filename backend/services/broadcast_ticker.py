"""The backend's broadcast heartbeat: start what is due, finish what is over, keep each curator's
progress message current, and send the final report.

Everything it needs is in the database (broadcast status, outbox rows), so a restart loses
nothing: the next tick picks up where the last one stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.models import Broadcast, Notification, User
from backend.models.types import utcnow
from backend.services import broadcasts
from backend.services.broadcast_texts import final_report_text, progress_keyboard, progress_text
from backend.settings import Settings

log = logging.getLogger(__name__)

JOB_ID = "broadcast_ticker"
CANCELLED_WINDOW = dt.timedelta(minutes=10)  # a cancel is seen by a tick well within this
REPORT_KIND = "broadcast_report"
REPORT_LANGUAGES = ("kk", "ru", "en")
_CSV_BUTTON = {"kk": "📄 Есеп (CSV)", "ru": "📄 Отчёт (CSV)", "en": "📄 Report (CSV)"}


async def tick(session_pool: SessionPool, bot: Bot | None, now: dt.datetime) -> None:
    async with session_pool() as session:
        await broadcasts.settle_stopped(session=session)
        started = await broadcasts.start_due(session=session, now=now)
        in_flight = await broadcasts.running_ids(session=session)
        finished: list[int] = []
        for broadcast_id in in_flight:
            if await broadcasts.finish_if_done(
                session=session, broadcast_id=broadcast_id, now=now
            ):
                finished.append(broadcast_id)
        # A scheduled broadcast with nobody left to reach is done as soon as it starts.
        for broadcast_id in started:
            broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
            if broadcast is not None and broadcast.status == "done":
                finished.append(broadcast_id)
        # Cancelled ones end too: their message loses its buttons and the curator gets the
        # report (once: enqueue_report is idempotent).
        for broadcast_id in await broadcasts.recently_cancelled_ids(
            session=session, since=now - CANCELLED_WINDOW
        ):
            if not await _exists(session, _report_key(broadcast_id)):
                finished.append(broadcast_id)
        for broadcast_id in finished:
            await enqueue_report(session, broadcast_id, now)
        for broadcast_id in dict.fromkeys([*started, *in_flight, *finished]):
            await _refresh_progress_message(session_pool, bot, broadcast_id, now)


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
    session.add(
        Notification(
            user_id=curator.id,
            chat_id=curator.telegram_id,
            kind=REPORT_KIND,
            dedupe_key=key,
            payload={
                "text": {lang: final_report_text(progress, lang) for lang in REPORT_LANGUAGES},
                "buttons": [[{"text": _CSV_BUTTON, "callback_data": f"bc:csv:{broadcast_id}"}]],
            },
            next_attempt_at=now,
            created_at=now,
        )
    )
    try:
        await session.commit()
    except IntegrityError:  # another ticker enqueued it first
        await session.rollback()


def _report_key(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:report"


async def _exists(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.exec(
        select(Notification.id).where(col(Notification.dedupe_key) == dedupe_key)
    )
    return found.first() is not None


async def _refresh_progress_message(
    session_pool: SessionPool, bot: Bot | None, broadcast_id: int, now: dt.datetime
) -> None:
    if bot is None:
        return
    async with session_pool() as session:
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.progress_chat_id is None:
            return
        if broadcast.progress_message_id is None:
            return
        curator = await session.get(User, broadcast.curator_id)
        language = (curator.language if curator else None) or "ru"
        progress = await broadcasts.progress(session=session, broadcast_id=broadcast_id, now=now)
        chat_id, message_id = broadcast.progress_chat_id, broadcast.progress_message_id
    try:
        await bot.edit_message_text(
            text=progress_text(progress, language),
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=InlineKeyboardMarkup.model_validate(
                progress_keyboard(progress, language)
            ),
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            log.warning(
                "progress message not updated",
                extra={"broadcast_id": broadcast_id, "error": exc.message},
            )
    except TelegramAPIError as exc:
        # Best effort: the next tick tries again; delivery itself is not affected.
        log.warning(
            "progress message not updated", extra={"broadcast_id": broadcast_id, "error": str(exc)}
        )


def add_broadcast_job(
    scheduler: Any, session_pool: SessionPool, settings: Settings, bot: Bot | None
) -> None:
    """Put the ticker on the backend's APScheduler (one job, fixed id, every interval)."""

    async def run() -> None:
        await tick(session_pool, bot, utcnow())

    scheduler.add_job(
        run,
        "interval",
        seconds=settings.broadcast.progress_interval_seconds,
        id=JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
