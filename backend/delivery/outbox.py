"""The outbox's state changes, each in one short transaction.

A claimed row is ``sending`` with ``next_attempt_at`` moved to the end of its lease: that column
then says when the claim expires, so a row a crashed worker left behind is found by the same
index as due work and handed out again. Every later change to a claimed row requires it to be
still ``sending`` with the lease end its claim set (``Claimed.claimed_until``, a fencing token):
so a worker whose lease ran out cannot overwrite what another did since, even when the other
worker has claimed the row again and it is ``sending`` once more.

Only ``pending`` rows are claimed: ``held`` ones (a paused broadcast's) wait for their broadcast
to resume, which turns them back into ``pending``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool, upsert_insert
from backend.delivery.render import DEFAULT_LANGUAGE
from backend.directory import TOPICS
from backend.models import Channel, DeliveryPause, Notification, TopicSubscription, User

log = logging.getLogger(__name__)

GLOBAL_SCOPE = "global"
CHAT_SCOPE_PREFIX = "chat:"
_NO_SYNC = {"synchronize_session": False}  # the ORM keeps no claimed rows in a session


@dataclass(frozen=True)
class Claimed:
    """A claimed notification with what its recipient looks like right now."""

    notification: Notification
    language: str
    unreachable: bool
    claimed_until: dt.datetime  # the lease end this claim wrote into ``next_attempt_at``

    @property
    def id(self) -> int:
        assert self.notification.id is not None
        return self.notification.id

    @property
    def chat_id(self) -> int:
        return self.notification.chat_id


@dataclass(frozen=True)
class Claim:
    items: list[Claimed]
    paused_until: dt.datetime | None = None  # a global pause stopped the claim


def clip(text: str, limit: int = 512) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Outbox:
    def __init__(self, pool: SessionPool, now: Callable[[], dt.datetime]) -> None:
        self._pool = pool
        self._now = now

    async def claim(self, limit: int, lease: dt.timedelta) -> Claim:
        """Move up to ``limit`` due rows to ``sending`` for ``lease``; nothing while paused."""
        now = self._now()
        async with self._pool() as session, session.begin():
            global_until, paused_chats = await _active_pauses(session, now)
            if global_until is not None:
                return Claim([], global_until)
            reclaimed = await session.exec(
                update(Notification)
                .where(col(Notification.status) == "sending")
                .where(col(Notification.next_attempt_at) <= now)
                .values(status="pending")
                .execution_options(**_NO_SYNC)
            )
            if reclaimed.rowcount:
                # Their worker died (or stalled past the lease) between claim and outcome; one
                # of them may have been sent already and will arrive twice.
                log.warning("reclaimed expired claims", extra={"count": reclaimed.rowcount})
            due = (
                select(Notification.id)
                .where(col(Notification.status) == "pending")
                .where(col(Notification.next_attempt_at) <= now)
                .order_by(col(Notification.next_attempt_at), col(Notification.id))
                .limit(limit)
            )
            if paused_chats:
                due = due.where(col(Notification.chat_id).not_in(paused_chats))
            if (await session.connection()).dialect.name == "postgresql":
                # Rows another worker is claiming right now are skipped, not waited for.
                due = due.with_for_update(skip_locked=True)
            until = now + lease
            claimed = await session.exec(
                update(Notification)
                .where(col(Notification.id).in_(due.scalar_subquery()))
                .values(status="sending", next_attempt_at=until)
                .returning(col(Notification.id))
                .execution_options(**_NO_SYNC)
            )
            ids = [row[0] for row in claimed.all()]
            if not ids:
                return Claim([])
            # The recipient's language and reachability as they are now, not at enqueue time.
            rows = await session.exec(
                select(Notification, User.language, User.unreachable_at)
                .outerjoin(User, col(User.id) == col(Notification.user_id))
                .where(col(Notification.id).in_(ids))
                .order_by(col(Notification.id))
            )
            return Claim(
                [
                    Claimed(n, language or DEFAULT_LANGUAGE, unreachable_at is not None, until)
                    for n, language, unreachable_at in rows.all()
                ]
            )

    async def sent(self, item: Claimed, attempts: int) -> None:
        await self._finish(item, status="sent", attempts=attempts, sent_at=self._now())

    async def failed(self, item: Claimed, attempts: int, reason: str) -> None:
        await self._finish(item, status="failed", attempts=attempts, last_error=clip(reason))

    async def cancelled(self, item: Claimed, reason: str) -> None:
        await self._finish(item, status="cancelled", last_error=clip(reason))

    async def retry_at(
        self, item: Claimed, at: dt.datetime, attempts: int, reason: str | None
    ) -> None:
        values: dict[str, Any] = {"status": "pending", "next_attempt_at": at, "attempts": attempts}
        if reason is not None:
            values["last_error"] = clip(reason)
        await self._finish(item, **values)

    async def release(self, items: Sequence[Claimed], at: dt.datetime) -> None:
        """Give unsent claims back, due at ``at``: no attempt was made."""
        if not items:
            return
        async with self._pool() as session, session.begin():
            await session.exec(
                update(Notification)
                .where(col(Notification.id).in_([item.id for item in items]))
                .where(col(Notification.status) == "sending")
                .where(col(Notification.next_attempt_at) == items[0].claimed_until)
                .values(status="pending", next_attempt_at=at)
                .execution_options(**_NO_SYNC)
            )

    async def pause(self, item: Claimed, until: dt.datetime, reason: str) -> None:
        """Persist a global pause (kept across restarts) and put ``item`` back until then."""
        async with self._pool() as session, session.begin():
            connection = await session.connection()
            await session.exec(_upsert_pause(connection, GLOBAL_SCOPE, until, reason, self._now()))
            await session.exec(
                _claimed(item)
                .values(status="pending", next_attempt_at=until, last_error=clip(reason))
                .execution_options(**_NO_SYNC)
            )

    async def blocked(
        self, item: Claimed, attempts: int, reason: str, also_claimed: Sequence[Claimed]
    ) -> None:
        """The recipient blocked the bot: mark the user unreachable and unsubscribe them from
        every topic (or deactivate the channel that removed the bot), fail ``item``, and cancel
        the chat's other pending or held notifications and our other claims for it.
        """
        now = self._now()
        async with self._pool() as session, session.begin():
            await session.exec(
                _claimed(item)
                .values(status="failed", attempts=attempts, last_error=clip(reason))
                .execution_options(**_NO_SYNC)
            )
            if item.notification.user_id is not None:
                await session.exec(
                    update(User)
                    .where(col(User.id) == item.notification.user_id)
                    .values(unreachable_at=now, updated_at=now)
                    .execution_options(**_NO_SYNC)
                )
                connection = await session.connection()
                await session.exec(_unsubscribe_all(connection, item.notification.user_id, now))
            elif item.chat_id < 0:
                # A channel or group that removed the bot: curators can no longer post there.
                await session.exec(
                    update(Channel)
                    .where(col(Channel.chat_id) == item.chat_id)
                    .values(active=False)
                    .execution_options(**_NO_SYNC)
                )
            ours = col(Notification.id).in_([other.id for other in also_claimed])
            await session.exec(
                update(Notification)
                .where(col(Notification.chat_id) == item.chat_id)
                .where(
                    or_(
                        # held: rows of a paused broadcast, which resuming would send
                        col(Notification.status).in_(("pending", "held")),
                        and_(
                            col(Notification.status) == "sending",
                            col(Notification.next_attempt_at) == item.claimed_until,
                            ours,
                        ),
                    )
                )
                .values(status="cancelled", last_error=clip(reason))
                .execution_options(**_NO_SYNC)
            )

    async def _finish(self, item: Claimed, **values: Any) -> None:
        async with self._pool() as session, session.begin():
            result = await session.exec(
                _claimed(item).values(**values).execution_options(**_NO_SYNC)
            )
        if not result.rowcount:
            log.warning(
                "claim expired before its outcome was stored",
                extra={"notification": item.id, "chat": item.chat_id},
            )


def _claimed(item: Claimed) -> Any:
    """UPDATE of ``item`` while it is still claimed, by this claim."""
    return (
        update(Notification)
        .where(col(Notification.id) == item.id)
        .where(col(Notification.status) == "sending")
        .where(col(Notification.next_attempt_at) == item.claimed_until)
    )


async def _active_pauses(
    session: AsyncSession, now: dt.datetime
) -> tuple[dt.datetime | None, list[int]]:
    rows = await session.exec(select(DeliveryPause).where(col(DeliveryPause.until) > now))
    global_until: dt.datetime | None = None
    chats: list[int] = []
    for pause in rows.all():
        if pause.scope == GLOBAL_SCOPE:
            global_until = pause.until
        elif pause.scope.startswith(CHAT_SCOPE_PREFIX):
            chats.append(int(pause.scope.removeprefix(CHAT_SCOPE_PREFIX)))
    return global_until, chats


def _unsubscribe_all(connection: AsyncConnection, user_id: int, now: dt.datetime) -> Any:
    """Every topic set to unsubscribed for ``user_id``, as explicit choices (one statement)."""
    statement = upsert_insert(connection, TopicSubscription).values(
        [
            {"user_id": user_id, "topic": topic.code, "subscribed": False, "updated_at": now}
            for topic in TOPICS
        ]
    )
    return statement.on_conflict_do_update(
        index_elements=[col(TopicSubscription.user_id), col(TopicSubscription.topic)],
        set_={"subscribed": False, "updated_at": statement.excluded.updated_at},
    )


def _upsert_pause(
    connection: AsyncConnection, scope: str, until: dt.datetime, reason: str, now: dt.datetime
) -> Any:
    """INSERT the pause, or lengthen an existing one (never shorten another worker's)."""
    statement = upsert_insert(connection, DeliveryPause).values(
        scope=scope, until=until, reason=clip(reason, 256), updated_at=now
    )
    return statement.on_conflict_do_update(
        index_elements=[col(DeliveryPause.scope)],
        set_={
            "until": statement.excluded.until,
            "reason": statement.excluded.reason,
            "updated_at": statement.excluded.updated_at,
        },
        where=col(DeliveryPause.until) < statement.excluded.until,
    )
