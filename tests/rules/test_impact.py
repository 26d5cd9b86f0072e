"""Rule-change impact on stored assessments (SQLite and PostgreSQL): an assessment stored under
338-2022.1 whose result changes under 338-2022.2 gets exactly one notice, however often the job
runs; one whose result does not change gets none; ``sanat rules impact`` reports the change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from backend.db import SessionPool
from backend.models import Assessment, Notification, User
from backend.rules.impact import counts_per_position, impact, impact_csv, stored_assessments
from backend.rules.loader import Ruleset, ruleset_version
from backend.rules.notify import KIND, notify_rule_changes

OLD, NEW = "338-2022.1", "338-2022.2"
ON = dt.date(2026, 11, 22)
# 2.2 clause 12, lines 280–286: a rural methodist with TVET and 4 years. Under .1 the urban 5
# years applied (ceiling «педагог»); under .2 the rural 3 years (ceiling «педагог-зерттеуші»).
CHANGES = {"education": "tvet", "locality": "rural", "experience": {"organisation_type": 4}}
# 3.7: nothing about it changed between the versions.
STAYS = {"education": "higher", "education_pedagogical": True, "experience": {"pedagogical": 3}}


async def _store(pool: SessionPool, telegram_id: int, position: str, answers: Any) -> int:
    async with pool() as session:
        user = User(telegram_id=telegram_id, language="kk")
        session.add(user)
        await session.flush()
        assessment = Assessment(
            user_id=user.id,
            position_id=position,
            answers=answers,
            outcome={},
            ruleset_version=OLD,
            as_of=ON,
        )
        session.add(assessment)
        await session.commit()
        assert assessment.id is not None
        return assessment.id


async def _notices(pool: SessionPool) -> list[Notification]:
    async with pool() as session:
        query = select(Notification).where(col(Notification.kind) == KIND)
        return list((await session.exec(query)).all())


async def test_a_changed_result_is_notified_once_and_an_unchanged_one_never(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    assert ruleset.version == NEW
    changed = await _store(session_pool, 5001, "2.2", CHANGES)
    await _store(session_pool, 5002, "3.7", STAYS)

    assert await notify_rule_changes(session_pool, ruleset) == 1
    assert await notify_rule_changes(session_pool, ruleset) == 0  # a restart, a second backend
    notices = await _notices(session_pool)
    assert len(notices) == 1
    notice = notices[0]
    assert notice.chat_id == 5001
    assert notice.dedupe_key.endswith(f":{changed}")
    text = notice.payload["text"]
    assert "педагог-зерттеуші" in text["kk"]
    assert "ауылдық жерде-кемінде 3 жыл" in text["ru"]  # why, quoting the clause
    assert "2-тарау, 2-параграф, 12-тармақ" in text["kk"]
    assert "глава 2, параграф 2, пункт 12" in text["ru"]
    assert notice.payload["buttons"][0][0]["callback_data"] == f"ro:{changed}"


async def test_impact_lists_the_changed_assessments_with_counts_and_csv(
    session_pool: SessionPool,
) -> None:
    changed = await _store(session_pool, 5003, "2.2", CHANGES)
    await _store(session_pool, 5004, "3.7", STAYS)
    async with session_pool() as session:
        stored = await stored_assessments(session)
    rows = impact(ruleset_version(OLD), ruleset_version(NEW), stored)
    assert [row.assessment.id for row in rows] == [changed]
    assert rows[0].before.ceiling == "pedagog"
    assert rows[0].after.ceiling == "pedagog_researcher"
    assert counts_per_position(rows) == {"2.2": 1}
    table = impact_csv(rows).splitlines()
    assert table[0].startswith("assessment_id,user_id,position")
    assert table[1].startswith(f"{changed},")
    assert ",pedagog,pedagog_researcher," in table[1]


def test_the_impact_command_prints_counts_and_writes_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from backend.db import create_engine, create_session_pool
    from backend.migrate import upgrade_async
    from backend.settings import DatabaseSettings
    from sanat.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'impact.db'}"

    async def prepare() -> None:
        await upgrade_async(url)
        engine = create_engine(DatabaseSettings(url=url))
        try:
            await _store(create_session_pool(engine), 5005, "2.2", CHANGES)
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("SANAT_DATABASE_URL", url)
    out = tmp_path / "impact.csv"
    assert main(["rules", "impact", "--from", OLD, "--to", NEW, "--csv", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2
    assert main(["rules", "impact", "--from", OLD, "--to", "338-1999.9"]) == 2
