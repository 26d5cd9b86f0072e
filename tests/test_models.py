from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from backend.db import SessionPool
from backend.models import Notification, User


async def test_times_come_back_as_aware_utc(session_pool: SessionPool) -> None:
    almaty = dt.timezone(dt.timedelta(hours=5))
    async with session_pool() as session:
        user = User(
            telegram_id=5_000_000_001, unreachable_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=almaty)
        )
        session.add(user)
        await session.commit()
        user_id = user.id
    async with session_pool() as session:
        loaded = await session.get(User, user_id)
        assert loaded is not None
        assert loaded.unreachable_at is not None
        assert loaded.unreachable_at.tzinfo is not None
        assert loaded.unreachable_at == dt.datetime(2026, 3, 1, 4, 0, tzinfo=dt.UTC)
        assert loaded.telegram_id == 5_000_000_001  # above 2**32: stored as BIGINT


async def test_naive_datetime_is_refused(session_pool: SessionPool) -> None:
    async with session_pool() as session:
        session.add(User(telegram_id=7, unreachable_at=dt.datetime(2026, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


async def test_outbox_dedupe_key_is_unique(session_pool: SessionPool) -> None:
    async with session_pool() as session:
        session.add(Notification(chat_id=1, kind="reminder", dedupe_key="u1:c1:d90"))
        await session.commit()
    async with session_pool() as session:
        session.add(Notification(chat_id=1, kind="reminder", dedupe_key="u1:c1:d90"))
        with pytest.raises(IntegrityError):
            await session.commit()
