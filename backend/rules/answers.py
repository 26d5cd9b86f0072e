"""The assessment input (``answers``): validation with clear, named errors.

Every key is optional: a missing key is a fact not yet asked; the string ``"unknown"`` is the
user's "I don't know", which makes what depends on it ``unknown`` instead of a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from backend.rules.schema import (
    CategoryId,
    CentreLevel,
    Education,
    ExperienceKind,
    Locality,
    QualificationLevel,
)

UNKNOWN = "unknown"  # the answer "I don't know"
NO_CATEGORY = "none"  # current_category: holds no category
MAX_YEARS = 60.0

EDUCATIONS: tuple[str, ...] = get_args(Education)
LEVELS: tuple[str, ...] = get_args(QualificationLevel)
EXPERIENCE_KINDS: tuple[str, ...] = get_args(ExperienceKind)
LOCALITIES: tuple[str, ...] = get_args(Locality)
CENTRE_LEVELS: tuple[str, ...] = get_args(CentreLevel)
CATEGORIES: tuple[str, ...] = get_args(CategoryId)
BOOL_KEYS = (
    "education_pedagogical",
    "pedagogical_retraining",
    "academic_degree",
    "reserve_officer",
    "special_education_direction",
    "professional_retraining",
)
NOT_APPLICABLE_PREFIX = "na:"  # a checklist entry "na:c5": item c5 "(бар болса)" does not apply
CHOICE_KEYS: dict[str, tuple[str, ...]] = {
    "education": EDUCATIONS,
    "qualification_level": LEVELS,
    "locality": LOCALITIES,
    "centre_level": CENTRE_LEVELS,
}
KNOWN_KEYS = (
    *CHOICE_KEYS,
    *BOOL_KEYS,
    "experience",
    "current_category",
    "competencies",
    "variant",
)


class AnswersError(ValueError):
    """The answers are malformed; ``problems`` lists each one (key path and reason)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Answers:
    values: dict[str, Any] = field(default_factory=dict)  # choice and bool keys
    experience: dict[str, float | str] = field(default_factory=dict)
    competencies: dict[str, str | frozenset[str]] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.values)
        if self.experience:
            data["experience"] = dict(self.experience)
        if self.competencies:
            data["competencies"] = {
                k: v if isinstance(v, str) else sorted(v) for k, v in self.competencies.items()
            }
        return data


def _years(kind: str, value: Any, problems: list[str]) -> float | str | None:
    if value == UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(
            f"experience.{kind}: expected a number of years or 'unknown', got {value!r}"
        )
        return None
    if value < 0:
        problems.append(f"experience.{kind}: years cannot be negative ({value})")
        return None
    if value > MAX_YEARS:
        problems.append(f"experience.{kind}: {value} years is more than {MAX_YEARS:g}")
        return None
    return float(value)


def _plain_values(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, allowed in CHOICE_KEYS.items():
        value = raw.get(key)
        if value is None:
            continue
        if value in (*allowed, UNKNOWN):
            values[key] = value
        else:
            problems.append(f"{key}: {value!r} is not one of {', '.join(allowed)}, unknown")
    for key in BOOL_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if value is True or value is False or value == UNKNOWN:
            values[key] = value
        else:
            problems.append(f"{key}: expected true, false or 'unknown', got {value!r}")
    values.update(_identity_values(raw, problems))
    return values


def _identity_values(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    category = raw.get("current_category")
    if category is not None:
        if category in (*CATEGORIES, NO_CATEGORY, UNKNOWN):
            values["current_category"] = category
        else:
            problems.append(f"current_category: unknown category id {category!r}")
    variant = raw.get("variant")
    if variant is not None:
        if isinstance(variant, str):
            values["variant"] = variant
        else:
            problems.append(f"variant: expected a variant id, got {variant!r}")
    return values


def _experience(raw: Any, problems: list[str]) -> dict[str, float | str]:
    experience: dict[str, float | str] = {}
    if raw is None:
        return experience
    if not isinstance(raw, dict):
        problems.append("experience: expected an object of years by kind")
        return experience
    for kind, value in raw.items():
        if kind not in EXPERIENCE_KINDS:
            problems.append(
                f"experience.{kind}: unknown kind (known: {', '.join(EXPERIENCE_KINDS)})"
            )
        elif value is not None:
            years = _years(kind, value, problems)
            if years is not None:
                experience[kind] = years
    return experience


def _competencies(raw: Any, problems: list[str]) -> dict[str, str | frozenset[str]]:
    competencies: dict[str, str | frozenset[str]] = {}
    if raw is None:
        return competencies
    if not isinstance(raw, dict):
        problems.append("competencies: expected an object of category ids to 'all' or item ids")
        return competencies
    for category, declared in raw.items():
        if category not in CATEGORIES:
            problems.append(f"competencies.{category}: unknown category id")
        elif declared in ("all", "none", UNKNOWN):
            competencies[category] = declared
        elif isinstance(declared, list) and all(isinstance(item, str) for item in declared):
            competencies[category] = frozenset(declared)
        else:
            problems.append(
                f"competencies.{category}: expected 'all', 'none', 'unknown' or item ids"
            )
    return competencies


def parse_answers(raw: Any) -> Answers:
    """Validate a JSON-like answers object; raise AnswersError naming every bad key."""
    if raw is None:
        return Answers()
    if not isinstance(raw, dict):
        raise AnswersError([f"answers must be an object, got {type(raw).__name__}"])
    problems: list[str] = []
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        problems.append(
            f"unknown answer keys: {', '.join(unknown)} (known: {', '.join(KNOWN_KEYS)})"
        )
    values = _plain_values(raw, problems)
    experience = _experience(raw.get("experience"), problems)
    competencies = _competencies(raw.get("competencies"), problems)
    if problems:
        raise AnswersError(problems)
    return Answers(values=values, experience=experience, competencies=competencies)
