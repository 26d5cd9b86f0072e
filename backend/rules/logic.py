"""Three-valued logic over the answers, compiled once per condition tree.

A result is a status plus, for ``unknown``, the facts whose answers could still change it (in the
order a person would be asked) and, for ``undetermined``, the notes that quote why. Short-circuit
pruning keeps those lists minimal: an ``all_of`` that already failed asks nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from backend.rules.answers import NO_CATEGORY, UNKNOWN, Answers
from backend.rules.schema import Condition, ExperienceRequirement

Status = Literal["met", "not_met", "unknown", "undetermined", "not_provided"]
MET: Status = "met"
NOT_MET: Status = "not_met"
UNKNOWN_STATUS: Status = "unknown"
UNDETERMINED: Status = "undetermined"
NOT_PROVIDED: Status = "not_provided"

LEVEL_FROM_EDUCATION = {"postgraduate": "high", "higher": "high", "tvet": "medium"}


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    missing: tuple[str, ...] = ()  # facts not yet answered that could change the status
    declared_unknown: tuple[str, ...] = ()  # facts answered "I don't know"
    recent_used: tuple[str, ...] = ()  # experience kinds checked as totals for "the last N years"
    why: tuple[str, ...] = ()  # for undetermined: the garbled text that prevents a decision


OPEN = (UNKNOWN_STATUS, UNDETERMINED)  # statuses an answer or a reading could still change
MET_RESULT = Result(MET)
NOT_MET_RESULT = Result(NOT_MET)
NOT_PROVIDED_RESULT = Result(NOT_PROVIDED)
BARE: dict[Status, Result] = {
    status: Result(status) for status in (MET, NOT_MET, UNKNOWN_STATUS, UNDETERMINED, NOT_PROVIDED)
}
Check = Callable[[Answers], Result]


def _carries(result: Result) -> bool:
    return bool(result.missing or result.declared_unknown or result.recent_used or result.why)


def _merge(results: list[Result], status: Status) -> Result:
    carriers = [r for r in results if _carries(r)]
    if not carriers:
        return BARE[status]
    if len(carriers) == 1:
        only = carriers[0]
        return only if only.status == status else Result(status, *_fields(only))
    missing: dict[str, None] = {}
    declared: dict[str, None] = {}
    recent: dict[str, None] = {}
    why: dict[str, None] = {}
    for result in carriers:
        missing.update(dict.fromkeys(result.missing))
        declared.update(dict.fromkeys(result.declared_unknown))
        recent.update(dict.fromkeys(result.recent_used))
        why.update(dict.fromkeys(result.why))
    return Result(status, tuple(missing), tuple(declared), tuple(recent), tuple(why))


def _fields(result: Result) -> tuple[tuple[str, ...], ...]:
    return result.missing, result.declared_unknown, result.recent_used, result.why


# How strongly a status decides a conjunction / a disjunction (higher wins).
_ALL_RANK = {MET: 0, UNDETERMINED: 1, UNKNOWN_STATUS: 2, NOT_PROVIDED: 3, NOT_MET: 4}
_ANY_RANK = {NOT_MET: 0, NOT_PROVIDED: 1, UNDETERMINED: 2, UNKNOWN_STATUS: 3, MET: 4}


def all_of(results: list[Result]) -> Result:
    """Conjunction: not_met wins, then not_provided (no answer can make it met), then unknown
    (an answer may still fail it), then undetermined."""
    status: Status = MET
    rank = 0
    for result in results:
        current = _ALL_RANK[result.status]
        if current == 4:
            return NOT_MET_RESULT
        if current > rank:
            rank, status = current, result.status
    if status == NOT_PROVIDED:
        return NOT_PROVIDED_RESULT
    if status == MET:
        return _merge(results, MET)
    return _merge([r for r in results if r.status in OPEN], status)


def any_of(results: list[Result]) -> Result:
    """Disjunction: met wins (and needs nothing else); then unknown; then undetermined."""
    status: Status = NOT_MET
    rank = 0
    for result in results:
        if result.status == MET:
            return result
        current = _ANY_RANK[result.status]
        if current > rank:
            rank, status = current, result.status
    if status in OPEN:
        return _merge([r for r in results if r.status in OPEN], status)
    return BARE[status]


def _unanswered(fact: str, value: Any) -> Result | None:
    if value is None:
        return Result(UNKNOWN_STATUS, missing=(fact,))
    if value == UNKNOWN:
        return Result(UNKNOWN_STATUS, declared_unknown=(fact,))
    return None


def effective_level(answers: Answers) -> tuple[str | None, bool]:
    """The qualification level and whether it was derived from the education."""
    level = answers.get("qualification_level")
    if level is not None:
        return level, False
    education = answers.get("education")
    derived = LEVEL_FROM_EDUCATION.get(education) if isinstance(education, str) else None
    return derived, derived is not None


def level_check(level: str) -> Check:
    def check(answers: Answers) -> Result:
        value, _derived = effective_level(answers)
        if value is None:
            education = answers.get("education")
            # general secondary gives no level: ask for it; no education answer yet: ask that.
            fact = "qualification_level" if education is not None else "education"
            return _unanswered(fact, answers.get(fact)) or Result(
                UNKNOWN_STATUS, missing=("qualification_level",)
            )
        if value == UNKNOWN:
            return Result(UNKNOWN_STATUS, declared_unknown=("qualification_level",))
        return MET_RESULT if value == level else NOT_MET_RESULT

    return check


def experience_check(requirement: ExperienceRequirement) -> Check:
    fact = f"experience.{requirement.kind}"
    kind, years, strict = requirement.kind, requirement.years, requirement.op == "gt"
    recent = (kind,) if requirement.recent else ()

    def check(answers: Answers) -> Result:
        value = answers.experience.get(kind)
        pending = _unanswered(fact, value)
        if pending is not None:
            return pending
        assert isinstance(value, float)
        ok = value > years if strict else value >= years
        return Result(MET, recent_used=recent) if ok else NOT_MET_RESULT

    return check


def _choice_check(fact: str, accepted: frozenset[Any]) -> Check:
    def check(answers: Answers) -> Result:
        value = answers.get(fact)
        return _unanswered(fact, value) or (MET_RESULT if value in accepted else NOT_MET_RESULT)

    return check


def _category_check(accepted: frozenset[str]) -> Check:
    def check(answers: Answers) -> Result:
        value = answers.get("current_category")
        pending = _unanswered("current_category", value)
        if pending is not None:
            return pending
        return MET_RESULT if value != NO_CATEGORY and value in accepted else NOT_MET_RESULT

    return check


def _undetermined(reason: str) -> Check:
    result = Result(UNDETERMINED, why=(reason,))
    return lambda _answers: result


def compile_condition(condition: Condition) -> Check:
    """Turn a condition tree into one closure, so evaluation only calls functions."""
    if condition.all_of is not None:
        parts = [compile_condition(c) for c in condition.all_of]
        return lambda answers: all_of([part(answers) for part in parts])
    if condition.any_of is not None:
        parts = [compile_condition(c) for c in condition.any_of]
        return lambda answers: any_of([part(answers) for part in parts])
    if condition.experience is not None:
        return experience_check(condition.experience)
    if condition.qualification_level is not None:
        return level_check(condition.qualification_level)
    if condition.holds_category is not None:
        return _category_check(frozenset(condition.holds_category))
    if condition.undetermined is not None:
        return _undetermined(condition.undetermined)
    for fact in ("education", "locality", "centre_level"):
        value = getattr(condition, fact)
        if value is not None:
            accepted = frozenset(value) if isinstance(value, list) else frozenset([value])
            return _choice_check(fact, accepted)
    for fact in ("education_pedagogical", "pedagogical_retraining", "academic_degree"):
        value = getattr(condition, fact)
        if value is not None:
            return _choice_check(fact, frozenset([value]))
    raise ValueError(f"condition with no known key: {condition!r}")  # the schema forbids this
