"""Rule-change impact: stored assessments re-evaluated under two ruleset versions.

An assessment *changes* when its eligibility, ceiling or estimate differs between the versions
(both evaluated on the assessment's own date, from its stored answers). Pure functions over
rows, plus one read of the stored assessments; the CLI and the deploy-time notifier use them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Assessment
from backend.rules.answers import AnswersError, parse_answers
from backend.rules.engine import RulesError, engine_for
from backend.rules.loader import Ruleset
from backend.rules.outcome import Outcome
from backend.rules.schema import RuleChange


@dataclass(frozen=True, slots=True)
class Decision:
    """What a teacher is told: eligibility, ceiling by experience, estimate."""

    eligible: str
    ceiling: str | None
    estimate: str | None

    @classmethod
    def of(cls, outcome: Outcome) -> Decision:
        return cls(outcome.eligible_for_position, outcome.ceiling_by_experience, outcome.estimate)


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    id: int
    user_id: int | None
    position_id: str
    answers: dict[str, Any]
    as_of: dt.date
    ruleset_version: str


@dataclass(frozen=True, slots=True)
class ImpactRow:
    assessment: StoredAssessment
    before: Decision
    after: Decision
    reasons: tuple[RuleChange, ...]  # the new version's changes that name this position

    @property
    def changed(self) -> bool:
        return self.before != self.after


def changes_for(ruleset: Ruleset, position_id: str) -> tuple[RuleChange, ...]:
    return tuple(c for c in ruleset.meta.changes if position_id in c.positions)


def reevaluate(old: Ruleset, new: Ruleset, stored: StoredAssessment) -> ImpactRow | None:
    """Both decisions for one stored assessment; None if either version cannot evaluate it
    (a position or date outside a version, answers an old version did not know)."""
    try:
        answers = parse_answers(stored.answers)
        before = engine_for(old).evaluate(stored.position_id, answers, stored.as_of)
        after = engine_for(new).evaluate(stored.position_id, answers, stored.as_of)
    except (AnswersError, RulesError):
        return None
    return ImpactRow(
        stored, Decision.of(before), Decision.of(after), changes_for(new, stored.position_id)
    )


def impact(old: Ruleset, new: Ruleset, assessments: Iterable[StoredAssessment]) -> list[ImpactRow]:
    """Every assessment whose decision differs between ``old`` and ``new``."""
    rows = (reevaluate(old, new, stored) for stored in assessments)
    return [row for row in rows if row is not None and row.changed]


def counts_per_position(rows: Sequence[ImpactRow]) -> dict[str, int]:
    counts = Counter(row.assessment.position_id for row in rows)
    return dict(sorted(counts.items(), key=lambda item: _position_key(item[0])))


def _position_key(position_id: str) -> tuple[int, int, str]:
    chapter, _, paragraph = position_id.partition(".")
    digits = "".join(ch for ch in paragraph if ch.isdigit())
    return int(chapter), int(digits or 0), paragraph


CSV_FIELDS = (
    "assessment_id",
    "user_id",
    "position",
    "as_of",
    "eligible_before",
    "eligible_after",
    "ceiling_before",
    "ceiling_after",
    "estimate_before",
    "estimate_after",
    "clauses",
)


def impact_csv(rows: Sequence[ImpactRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        stored = row.assessment
        writer.writerow(
            [
                stored.id,
                stored.user_id if stored.user_id is not None else "",
                stored.position_id,
                stored.as_of.isoformat(),
                row.before.eligible,
                row.after.eligible,
                row.before.ceiling or "",
                row.after.ceiling or "",
                row.before.estimate or "",
                row.after.estimate or "",
                "; ".join(
                    f"{c.citation.chapter}/{c.citation.paragraph}/{c.citation.clause}"
                    for c in row.reasons
                ),
            ]
        )
    return out.getvalue()


async def stored_assessments(
    session: AsyncSession, *, version: str | None = None, latest_per_user: bool = False
) -> list[StoredAssessment]:
    """The stored assessments (of one ruleset version, if given), oldest first; with
    ``latest_per_user`` only each user's most recent one (what the teacher last saw)."""
    query = select(Assessment).order_by(col(Assessment.created_at), col(Assessment.id))
    if version is not None:
        query = query.where(col(Assessment.ruleset_version) == version)
    rows = [
        StoredAssessment(
            id=row.id,
            user_id=row.user_id,
            position_id=row.position_id,
            answers=dict(row.answers or {}),
            as_of=row.as_of,
            ruleset_version=row.ruleset_version,
        )
        for row in (await session.exec(query)).all()
        if row.id is not None
    ]
    if not latest_per_user:
        return rows
    latest: dict[int, StoredAssessment] = {}
    for row in rows:
        if row.user_id is not None:
            latest[row.user_id] = row  # ordered oldest first: the last one wins
    return sorted(latest.values(), key=lambda row: row.id)
