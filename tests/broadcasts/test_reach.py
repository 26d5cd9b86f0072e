"""The reach chart's data from a broadcast's outbox rows, on SQLite and PostgreSQL: running
totals per local minute, blocked told from failed, groups by organisation or region."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import col, select

from backend import curators
from backend.broadcasts import service as broadcasts
from backend.broadcasts.reach import reach_data
from backend.broadcasts.service import Audience
from backend.db import SessionPool
from backend.models import Notification
from backend.pictures.catalog import catalog_for
from backend.pictures.reach import Counts
from backend.settings import Settings
from tests.broadcasts.helpers import TEXT, curator, organisation, person

START = dt.datetime(2026, 12, 4, 9, 0, 30, tzinfo=dt.UTC)  # 14:00:30 in Almaty


async def run(pool: SessionPool, curator_id: int, outcomes: list[str]) -> int:
    """Start a broadcast and give its rows, in order, the outcomes: sent, blocked, failed;
    one a minute from ``START``."""
    async with pool() as session:
        draft = await broadcasts.create_draft(
            session=session, actor_id=curator_id, content=TEXT, topic="news", audience=Audience()
        )
        assert draft.id is not None
        await broadcasts.start(session=session, actor_id=curator_id, broadcast_id=draft.id)
        rows = (
            await session.exec(
                select(Notification)
                .where(col(Notification.broadcast_id) == draft.id)
                .order_by(col(Notification.user_id))
            )
        ).all()
        assert len(rows) == len(outcomes)
        for minute, (row, outcome) in enumerate(zip(rows, outcomes, strict=True)):
            at = START + dt.timedelta(minutes=minute)
            if outcome == "sent":
                row.status, row.sent_at = "sent", at
            elif outcome != "pending":
                row.status, row.next_attempt_at = "failed", at
                row.last_error = "blocked: 403" if outcome == "blocked" else "chat not found"
            session.add(row)
        await session.commit()
        return draft.id


async def test_running_totals_per_local_minute_grouped_by_region(
    session_pool: SessionPool, settings: Settings
) -> None:
    boss = await curator(session_pool, curators.Scope())
    for region in ("astana", "astana", "almaty"):
        await person(session_pool, region=region)
    # the curator (no region) first, then the three people in the order they were added
    bid = await run(session_pool, boss, ["sent", "sent", "blocked", "failed"])
    async with session_pool() as session:
        data, grouping = await reach_data(
            session=session,
            broadcast_id=bid,
            recipients=4,
            tz=settings.tz,
            language="ru",
            catalog=catalog_for(Path(settings.locales_dir), "ru"),
        )
    assert grouping == "region"
    assert [point.at.strftime("%H:%M") for point in data.points] == [
        "14:00",
        "14:01",
        "14:02",
        "14:03",
        "14:04",
    ]
    assert [point.counts for point in data.points] == [
        Counts(),
        Counts(sent=1),
        Counts(sent=2),
        Counts(sent=2, blocked=1),
        Counts(sent=2, blocked=1, failed=1),
    ]
    groups = {group.name: group.counts for group in data.groups}
    assert groups == {
        "регион не указан": Counts(sent=1),
        "город Астана": Counts(sent=1, blocked=1),
        "город Алматы": Counts(failed=1),
    }
    assert data.recipients == 4


async def test_one_region_is_shown_per_organisation(
    session_pool: SessionPool, settings: Settings
) -> None:
    boss = await curator(session_pool, curators.Scope(kind="region", regions=("astana",)))
    school = await organisation(session_pool, "astana", "№ 12 мектеп-гимназия")
    college = await organisation(session_pool, "astana", "Колледж")
    await person(session_pool, region="astana", org=school)
    for _ in range(3):
        await person(session_pool, region="astana", org=college)
    # a regional curator outside their own audience: the four people only
    bid = await run(session_pool, boss, ["sent", "sent", "blocked", "pending"])
    async with session_pool() as session:
        data, grouping = await reach_data(
            session=session,
            broadcast_id=bid,
            recipients=4,
            tz=settings.tz,
            language="kk",
            catalog=catalog_for(Path(settings.locales_dir), "kk"),
        )
    assert grouping == "organisation"
    assert {group.name: group.counts for group in data.groups} == {
        "№ 12 мектеп-гимназия": Counts(sent=1),
        "Колледж": Counts(sent=1, blocked=1),
    }
    assert data.points[-1].counts == Counts(sent=2, blocked=1)  # the waiting row is not drawn
