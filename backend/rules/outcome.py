"""The engine's typed Outcome, serialised to JSON only at the edges (API, stored rows, CLI).

Immutable typed records (NamedTuple: built ~3x faster than a frozen dataclass, which matters at
50 000 evaluations a second). The parts that are data of the act (citations, notes, reasons)
stay JSON-ready mappings: built once per ruleset and shared by every Outcome, never copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

Eligibility = Literal["yes", "no", "unknown"]
Json = Mapping[str, Any]


class CategoryOutcome(NamedTuple):
    """One category of the ladder: its status, why, and what it still lacks."""

    id: str
    status: str  # met | not_met | unknown | undetermined | not_provided
    citations: Sequence[Json]
    reasons: Sequence[Json]
    missing: Sequence[Json]
    note: Json | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "citations": list(self.citations),
            "status": self.status,
            "reasons": list(self.reasons),
            "missing": list(self.missing),
        }
        if self.note is not None:
            data["note"] = self.note
        return data


class NextStep(NamedTuple):
    """The first category above the estimate not met yet, and what it lacks."""

    category: str
    status: str
    missing: Sequence[Json]

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "status": self.status, "missing": list(self.missing)}


class Outcome(NamedTuple):
    position: str
    as_of: dt.date
    ruleset_version: str
    eligible_for_position: Eligibility
    position_reasons: Sequence[Json]
    ceiling_by_experience: str | None
    estimate: str | None
    categories: Sequence[CategoryOutcome]
    next: NextStep | None
    missing_facts: Sequence[str]
    unknown_answers: Sequence[str]
    # Readings the result rests on (level derived from education, a total for "the last N
    # years", an interpretation of an ambiguous text with its quote in kk/ru)
    assumptions: Sequence[Json]
    notes: Sequence[Json]
    disclaimer: Mapping[str, str]

    def category(self, category_id: str) -> CategoryOutcome | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with an assessment and returned by the API (unchanged keys)."""
        return {
            "position": self.position,
            "as_of": self.as_of.isoformat(),
            "ruleset_version": self.ruleset_version,
            "eligible_for_position": self.eligible_for_position,
            "position_reasons": list(self.position_reasons),
            "ceiling_by_experience": self.ceiling_by_experience,
            "estimate": self.estimate,
            "categories": [category.to_dict() for category in self.categories],
            "next": self.next.to_dict() if self.next is not None else None,
            "missing_facts": list(self.missing_facts),
            "unknown_answers": list(self.unknown_answers),
            "assumptions": list(self.assumptions),
            "notes": list(self.notes),
            "disclaimer": dict(self.disclaimer),
        }
