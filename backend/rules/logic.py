"""Three-valued logic over the answers, compiled once per condition tree.

A result is a status plus, for ``unknown``, the facts whose answers could still change it (in the
order a person would be asked) and, for ``undetermined``, the notes that quote why. Short-circuit
pruning keeps those lists minimal: an ``all_of`` that already failed asks nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from backend.rules.answers import (
    BOOL_KEYS,
    CENTRE_LEVELS,
    EDUCATIONS,
    LEVELS,
    LOCALITIES,
    NO_CATEGORY,
    UNKNOWN,
    Answers,
)
from backend.rules.schema import Condition, ExperienceRequirement, Note

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
    # what the result rests on beyond the answers: "recent:<kind>" (a total checked for "the
    # last N years") and "note:<key>" (an interpretation of the text, see ``assumption_check``)
    recent_used: tuple[str, ...] = ()
    why: tuple[str, ...] = ()  # for undetermined: the garbled text that prevents a decision


OPEN = (UNKNOWN_STATUS, UNDETERMINED)  # statuses an answer or a reading could still change
MET_RESULT = Result(MET)
NOT_MET_RESULT = Result(NOT_MET)
NOT_PROVIDED_RESULT = Result(NOT_PROVIDED)
BARE: dict[Status, Result] = {
    MET: MET_RESULT,
    NOT_MET: NOT_MET_RESULT,
    UNKNOWN_STATUS: Result(UNKNOWN_STATUS),
    UNDETERMINED: Result(UNDETERMINED),
    NOT_PROVIDED: NOT_PROVIDED_RESULT,
}
Check = Callable[[Answers], Result]


def _merge(results: list[Result], status: Status) -> Result:
    carriers = [r for r in results if r.missing or r.declared_unknown or r.recent_used or r.why]
    if not carriers:
        return BARE[status]
    if len(carriers) == 1:
        only = carriers[0]
        return only if only.status == status else Result(status, *_fields(only))
    missing: tuple[str, ...] = ()
    declared: tuple[str, ...] = ()
    recent: tuple[str, ...] = ()
    why: tuple[str, ...] = ()
    for result in carriers:
        missing += result.missing
        declared += result.declared_unknown
        recent += result.recent_used
        why += result.why
    return Result(status, _unique(missing), _unique(declared), _unique(recent), _unique(why))


def _unique(facts: tuple[str, ...]) -> tuple[str, ...]:
    """The facts without repeats, first occurrence first."""
    return tuple(dict.fromkeys(facts)) if len(facts) > 1 else facts


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


def both(first: Result, second: Result) -> Result:
    """``all_of([first, second])`` without a list for the common cases of the engine's
    per-category conjunctions: a bare ``met`` on one side leaves the other side as it is (only a
    definite status drops what it carries), and ``not_met`` on either side decides."""
    if second is MET_RESULT:
        other = first
    elif first is MET_RESULT:
        other = second
    elif first is NOT_MET_RESULT or second is NOT_MET_RESULT:
        return NOT_MET_RESULT
    else:
        return all_of([first, second])
    status = other.status
    if status in (NOT_MET, NOT_PROVIDED):
        return BARE[status]
    return other


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


def pending_results(fact: str) -> tuple[Result, Result]:
    """The results for ``fact`` not answered yet and answered "I don't know", built once per
    check rather than on every evaluation (results are immutable, so they can be shared)."""
    return (
        Result(UNKNOWN_STATUS, missing=(fact,)),
        Result(UNKNOWN_STATUS, declared_unknown=(fact,)),
    )


def effective_level(answers: Answers) -> tuple[str | None, bool]:
    """The qualification level and whether it was derived from the education."""
    values = answers.values
    level = values.get("qualification_level")
    if level is not None:
        return level, False
    education = values.get("education")
    derived = LEVEL_FROM_EDUCATION.get(education) if isinstance(education, str) else None
    return derived, derived is not None


def level_check(level: str) -> Check:
    missing_education = pending_results("education")[0]
    missing_level, unknown_level = pending_results("qualification_level")

    def check(answers: Answers) -> Result:
        value, _derived = effective_level(answers)
        if value is None:
            # general secondary gives no level: ask for it; no education answer yet: ask that.
            # (No level from effective_level means qualification_level itself is unanswered.)
            return missing_education if answers.values.get("education") is None else missing_level
        if value == UNKNOWN:
            return unknown_level
        return MET_RESULT if value == level else NOT_MET_RESULT

    return check


def experience_met(requirement: ExperienceRequirement) -> Result:
    """Enough years; for "the last N years" noting that the total was checked instead."""
    return (
        Result(MET, recent_used=(f"recent:{requirement.kind}",))
        if requirement.recent
        else MET_RESULT
    )


def experience_check(requirement: ExperienceRequirement) -> Check:
    kind, years, strict = requirement.kind, requirement.years, requirement.op == "gt"
    missing, declared_unknown = pending_results(f"experience.{kind}")
    met = experience_met(requirement)

    def check(answers: Answers) -> Result:
        value = answers.experience.get(kind)
        if value is None:
            return missing
        if value == UNKNOWN:
            return declared_unknown
        assert isinstance(value, float)
        ok = value > years if strict else value >= years
        return met if ok else NOT_MET_RESULT

    return check


def _choice_check(fact: str, accepted: frozenset[Any]) -> Check:
    missing, declared_unknown = pending_results(fact)

    def check(answers: Answers) -> Result:
        value = answers.values.get(fact)
        if value is None:
            return missing
        if value == UNKNOWN:
            return declared_unknown
        return MET_RESULT if value in accepted else NOT_MET_RESULT

    return check


def _category_check(accepted: frozenset[str]) -> Check:
    missing, declared_unknown = pending_results("current_category")

    def check(answers: Answers) -> Result:
        value = answers.values.get("current_category")
        if value is None:
            return missing
        if value == UNKNOWN:
            return declared_unknown
        return MET_RESULT if value != NO_CATEGORY and value in accepted else NOT_MET_RESULT

    return check


def _all_of_check(parts: tuple[Check, ...]) -> Check:
    def check(answers: Answers) -> Result:
        open_parts = []  # a bare met changes nothing in a conjunction, so it is left out
        for part in parts:
            result = part(answers)
            if result is not MET_RESULT:
                if result.status == NOT_MET:  # decides the conjunction: the rest need not run
                    return NOT_MET_RESULT
                open_parts.append(result)
        return all_of(open_parts) if open_parts else MET_RESULT

    return check


def _any_of_check(parts: tuple[Check, ...], candidates: Candidates) -> Check:
    def check(answers: Answers) -> Result:
        open_parts = []  # a plain not_met changes nothing in a disjunction, so it is left out
        for part in parts:
            result = part(answers)
            if result is not NOT_MET_RESULT:
                if result.status == MET:  # decides the disjunction: the rest need not run
                    return result
                open_parts.append(result)
        if not open_parts:
            return NOT_MET_RESULT
        result = any_of(open_parts)
        if candidates and len(open_parts) > 1:
            shared = shared_candidates(open_parts, candidates)
            if shared:
                return settle(check, result, answers, shared)
        return result

    return check


def _undetermined(reason: str) -> Check:
    result = Result(UNDETERMINED, why=(reason,))
    return lambda _answers: result


# ---------------------------------------------------------------------------------------------
# Facts that cannot matter. Three-valued logic is exact when every fact occurs once in a tree;
# a fact that occurs in several branches (locality in an urban and a rural route, a variant, the
# same years against two thresholds) may be reported missing although every value of it gives
# the same answer. ``settle`` tries those values and drops such a fact.

Candidates = Mapping[str, tuple[Any, ...]]  # fact -> the values that can make a difference
MAX_SETTLE_DEPTH = 3  # facts substituted together at most (bounds the work per evaluation)


def shared_candidates(results: list[Result], candidates: Candidates) -> Candidates | None:
    """The candidates missing in more than one of ``results``: only such a fact can be
    irrelevant to their disjunction (a fact one open branch alone is waiting for decides it)."""
    seen: set[str] = set()
    shared: dict[str, tuple[Any, ...]] | None = None
    for result in results:
        for fact in result.missing:
            if fact not in seen:
                seen.add(fact)
            elif fact in candidates:
                shared = shared or {}
                shared[fact] = candidates[fact]
    return shared


def with_fact(answers: Answers, fact: str, value: Any) -> Answers:
    """The answers with one more fact answered (``experience.<kind>`` nests)."""
    group, _, key = fact.partition(".")
    if group == "experience":
        return replace(answers, experience={**answers.experience, key: value})
    return replace(answers, values={**answers.values, fact: value})


def settle(
    check: Check, result: Result, answers: Answers, candidates: Candidates, depth: int = 0
) -> Result:
    """``result`` (of ``check`` on ``answers``), decided when every value of one missing fact
    gives the same decided result; otherwise unchanged. Declared "I don't know"s and the
    assumptions of the alternatives are kept (the outcome may rest on any of them)."""
    if result.status not in OPEN or not result.missing or depth >= MAX_SETTLE_DEPTH:
        return result
    for fact in result.missing:
        values = candidates.get(fact)
        if not values:
            continue
        alike = _alike(check, answers, fact, values, candidates=candidates, depth=depth)
        if alike is not None:
            return alike
    return result


def _alike(
    check: Check,
    answers: Answers,
    fact: str,
    values: tuple[Any, ...],
    *,
    candidates: Candidates,
    depth: int,
) -> Result | None:
    first: Result | None = None
    declared: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()
    why: tuple[str, ...] = ()
    for value in values:  # extremes first: a relevant fact usually shows it at once
        given = with_fact(answers, fact, value)
        outcome = settle(check, check(given), given, candidates, depth + 1)
        if outcome.missing:
            # Still waiting for other facts: ask in the data's order rather than guess which
            # of them will settle it (the fact is dropped once the others are answered).
            return None
        if first is None:
            first = outcome
        elif outcome.status != first.status:
            return None
        declared += outcome.declared_unknown
        assumed += outcome.recent_used
        why += outcome.why
    if first is None:
        return None
    if not (declared or assumed or why):
        return BARE[first.status]
    return Result(first.status, (), _unique(declared), _unique(assumed), _unique(why))


def _leaves(condition: Condition) -> Iterator[Condition]:
    for child in (condition.all_of or []) + (condition.any_of or []):
        yield from _leaves(child)
    if condition.all_of is None and condition.any_of is None:
        yield condition


def leaf_values(condition: Condition) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The facts a leaf reads, each with the values worth trying for it."""
    if condition.experience is not None:
        years = condition.experience.years
        yield f"experience.{condition.experience.kind}", (years, years + 0.01)
    elif condition.qualification_level is not None:
        yield "qualification_level", LEVELS
        yield "education", EDUCATIONS
    elif condition.education is not None:
        yield "education", EDUCATIONS
    elif condition.locality is not None:
        yield "locality", LOCALITIES
    elif condition.centre_level is not None:
        yield "centre_level", CENTRE_LEVELS
    elif condition.holds_category is not None:
        yield "current_category", (*condition.holds_category, NO_CATEGORY)
    else:
        for fact in BOOL_KEYS:
            if getattr(condition, fact) is not None:
                yield fact, (True, False)


def candidates_of(conditions: list[Condition]) -> dict[str, tuple[Any, ...]]:
    """The facts read in more than one place of ``conditions``, with their values to try."""
    seen: dict[str, int] = {}
    values: dict[str, tuple[Any, ...]] = {}
    for condition in conditions:
        for leaf in _leaves(condition):
            for fact, options in leaf_values(leaf):
                seen[fact] = seen.get(fact, 0) + 1
                values[fact] = values.get(fact, ()) + options
    result: dict[str, tuple[Any, ...]] = {}
    for fact, count in seen.items():
        if count < 2:
            continue
        options = tuple(dict.fromkeys(values[fact]))
        if fact.startswith("experience."):
            # none, then the most, then each boundary: one value in every interval that counts
            options = (0.0, 60.0, *sorted(o for o in options if 0.0 < o < 60.0))
        result[fact] = options
    return result


def register_note(registry: dict[str, Note], note: Note) -> str:
    """The key results carry for ``note`` (one key per distinct note of a position)."""
    same = [key for key, known in registry.items() if known == note]
    key = same[0] if same else f"note:{len(registry)}"
    registry[key] = note
    return key


def assumption_check(key: str) -> Check:
    result = Result(MET, recent_used=(key,))
    return lambda _answers: result


def compile_condition(condition: Condition, notes: dict[str, Note] | None = None) -> Check:
    """Turn a condition tree into one closure, so evaluation only calls functions.

    ``notes`` collects the ``assumption`` leaves by the key their results carry."""
    registry: dict[str, Note] = {} if notes is None else notes
    if condition.all_of is not None:
        return _all_of_check(tuple(compile_condition(c, registry) for c in condition.all_of))
    if condition.any_of is not None:
        parts = tuple(compile_condition(c, registry) for c in condition.any_of)
        return _any_of_check(parts, candidates_of(condition.any_of))
    if condition.assumption is not None:
        return assumption_check(register_note(registry, condition.assumption))
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
    for fact in BOOL_KEYS:
        value = getattr(condition, fact)
        if value is not None:
            return _choice_check(fact, frozenset([value]))
    raise ValueError(f"condition with no known key: {condition!r}")  # the schema forbids this
