"""Self-assessment: ask the engine, keep answers that still matter, store results and profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Assessment, TeacherProfile, User, UserRole
from backend.models.types import utcnow
from backend.rules.answers import parse_answers
from backend.rules.engine import engine_for
from backend.rules.loader import Ruleset
from backend.rules.outcome import Outcome
from backend.rules.questions import Question

Answers = dict[str, Any]


def today_in(tz: dt.tzinfo) -> dt.date:
    """The date the rules are read at: today in Asia/Almaty, not in UTC."""
    return dt.datetime.now(tz).date()


def get_fact(answers: Answers, fact: str) -> Any:
    group, _, key = fact.partition(".")
    if key:
        return (answers.get(group) or {}).get(key)
    return answers.get(fact)


def set_fact(answers: Answers, fact: str, value: Any) -> Answers:
    """A copy of the answers with one fact set (``experience.position`` nests)."""
    updated = {k: dict(v) if isinstance(v, dict) else v for k, v in answers.items()}
    group, _, key = fact.partition(".")
    if key:
        updated.setdefault(group, {})[key] = value
    else:
        updated[fact] = value
    return updated


def drop_fact(answers: Answers, fact: str) -> Answers:
    updated = {k: dict(v) if isinstance(v, dict) else v for k, v in answers.items()}
    group, _, key = fact.partition(".")
    if key:
        updated.get(group, {}).pop(key, None)
        if not updated.get(group):
            updated.pop(group, None)
    else:
        updated.pop(fact, None)
    return updated


def evaluate(ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date) -> Outcome:
    return engine_for(ruleset).evaluate(position_id, parse_answers(answers), on)


def next_question(
    ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date
) -> Question | None:
    return engine_for(ruleset).next_question(position_id, parse_answers(answers), on)


def relevant_answers(ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date) -> Answers:
    """Keep only the answers the engine still asks for, replaying the dialog from the start.

    After a change on the review screen some facts may no longer matter (a new education
    makes the retraining question moot); they are dropped, every other answer is kept.
    """
    engine = engine_for(ruleset)
    kept: Answers = {}
    asked: set[str] = set()
    while (question := engine.next_question(position_id, parse_answers(kept), on)) is not None:
        if question.fact in asked:
            break  # defensive: the engine never asks twice, but never loop forever either
        asked.add(question.fact)
        value = get_fact(answers, question.fact)
        if value is None:
            break  # the first fact still to ask: stop here, the dialog goes on from it
        kept = set_fact(kept, question.fact, value)
    return kept


async def record_assessment(
    *,
    session: AsyncSession,
    user_id: int | None,
    position_id: str,
    answers: Answers,
    outcome: dict[str, Any],
    ruleset_version: str,
    on: dt.date,
) -> int:
    """Store a finished assessment with the ruleset version it was decided under."""
    assessment = Assessment(
        user_id=user_id,
        position_id=position_id,
        answers=answers,
        outcome=outcome,
        ruleset_version=ruleset_version,
        as_of=on,
    )
    session.add(assessment)
    await session.commit()
    assert assessment.id is not None
    return assessment.id


async def save_profile(
    *, session: AsyncSession, user_id: int, position_id: str, answers: Answers
) -> None:
    profile = await session.get(TeacherProfile, user_id)
    if profile is None:
        profile = TeacherProfile(user_id=user_id)
        session.add(profile)
    profile.position_id = position_id
    profile.answers = answers
    current = answers.get("current_category")
    profile.current_category = current if isinstance(current, str) else None
    profile.updated_at = utcnow()
    await session.commit()


async def load_profile(*, session: AsyncSession, user_id: int) -> TeacherProfile | None:
    return await session.get(TeacherProfile, user_id)


async def latest_assessment(*, session: AsyncSession, user_id: int) -> Assessment | None:
    query = (
        select(Assessment)
        .where(Assessment.user_id == user_id)
        .order_by(col(Assessment.created_at).desc(), col(Assessment.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def user_assessment(
    *, session: AsyncSession, user_id: int, assessment_id: int
) -> Assessment | None:
    """One of the user's stored assessments (None if it is not theirs or is gone)."""
    assessment = await session.get(Assessment, assessment_id)
    return assessment if assessment is not None and assessment.user_id == user_id else None


async def delete_user_data(*, session: AsyncSession, user_id: int) -> None:
    """Forget a user: profile, assessments, courses, roles and the user row itself."""
    await session.exec(delete(UserRole).where(col(UserRole.user_id) == user_id))
    user = await session.get(User, user_id)
    if user is not None:
        await session.delete(user)  # the foreign keys cascade to the rest
    await session.commit()
