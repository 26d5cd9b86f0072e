"""Positions compiled for evaluation: conditions become closures, citations become dicts, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.rules.answers import NOT_APPLICABLE_PREFIX, Answers
from backend.rules.logic import (
    MET,
    NOT_MET,
    NOT_MET_RESULT,
    UNKNOWN_STATUS,
    Candidates,
    Check,
    Result,
    both,
    candidates_of,
    compile_condition,
    experience_check,
    experience_met,
    register_note,
)
from backend.rules.schema import (
    Citation,
    Condition,
    LadderCategory,
    LocalizedText,
    Note,
    Position,
    Route,
    Threshold,
)


def citation_json(citation: Citation, default_file: str) -> dict[str, Any]:
    return {
        "act": citation.act,
        "file": citation.file or default_file,
        "chapter": citation.chapter,
        "paragraph": citation.paragraph,
        "clause": citation.clause,
        "lines": list(citation.lines),
    }


def text_json(text: LocalizedText) -> dict[str, str]:
    return text.model_dump(exclude_none=True)


def note_json(note: Note) -> dict[str, Any]:
    return {
        "kind": note.kind,
        "quote": note.quote,
        "lines": list(note.lines),
        "explanation": text_json(note.explanation),
    }


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    id: str
    variant: str | None
    check: Check
    label: dict[str, str]
    citation: dict[str, Any]
    readings: tuple[str, ...]  # keys of the interpretations it was encoded under


@dataclass(frozen=True, slots=True)
class CompiledThreshold:
    level: str
    kind: str
    op: str
    strict: bool  # op "gt": more than the years, not at least
    years: float
    text: str
    years_check: Check  # the years alone
    years_met: Result  # what years_check gives when the years are enough
    requires: Check | None  # anything else the text asks with the years (a degree)
    when: Check | None  # when the threshold applies at all (locality, centre level)


@dataclass(frozen=True, slots=True)
class CompiledCategory:
    id: str
    status: str  # rule | not_provided | undetermined
    thresholds: tuple[CompiledThreshold, ...]
    levels: tuple[str, ...]  # the levels with a route to this category
    items: tuple[str, ...]  # own competency item ids
    # "(бар болса)" items: the checklist entry that says the item does not apply, by item id
    not_applicable: dict[str, str]
    inherits: str | None
    citations: tuple[dict[str, Any], ...]
    note: dict[str, Any] | None
    source: LadderCategory
    by_level: dict[str, tuple[CompiledThreshold, ...]]
    chain: tuple[str, ...]  # this category and those it inherits competencies from, downwards
    competencies_missing: Result  # precomputed: the checklist not answered yet
    competencies_unknown: Result  # precomputed: "I don't know" for the checklist
    fixed_result: Result  # for not_provided / undetermined categories
    fixed_reasons: tuple[dict[str, Any], ...]  # for not_provided / undetermined categories
    candidates: Candidates  # facts read by several of its thresholds (see logic.settle)


@dataclass(frozen=True, slots=True)
class CompiledPosition:
    position: Position
    routes: tuple[CompiledRoute, ...]
    variants: tuple[str, ...]
    categories: tuple[CompiledCategory, ...]
    entry_citations: tuple[dict[str, Any], ...]
    notes: tuple[dict[str, Any], ...]
    routes_by_variant: dict[str | None, tuple[CompiledRoute, ...]]  # None: the general routes
    route_candidates: dict[str | None, Candidates]  # per variant (see logic.settle)
    # per variant: "no route is met", carrying the readings of every route (any could be why)
    none_met: dict[str | None, Result]
    assumption_notes: dict[str, dict[str, Any]]  # the interpretations results may rest on

    def routes_for(self, variant: str | None) -> tuple[CompiledRoute, ...]:
        return self.routes_by_variant.get(variant, ())


READING_KINDS = ("interpretation", "garbled", "contradiction")


def _leaf_readings(condition: Condition | None) -> list[Note]:
    if condition is None:
        return []
    found = [condition.assumption] if condition.assumption is not None else []
    for child in (condition.all_of or []) + (condition.any_of or []):
        found += _leaf_readings(child)
    return found


def _threshold(
    threshold: Threshold, notes: dict[str, Note], readings: tuple[str, ...]
) -> CompiledThreshold:
    return CompiledThreshold(
        level=threshold.level,
        kind=threshold.experience.kind,
        op=threshold.experience.op,
        strict=threshold.experience.op == "gt",
        years=threshold.experience.years,
        text=threshold.experience.text,
        years_check=experience_check(threshold.experience),
        # a reading of the years alone ("5 жыл" as "кемінде 5 жыл") rides on the met result
        years_met=_with_keys(
            experience_met(threshold.experience),
            readings
            + (
                (register_note(notes, threshold.requires.assumption),)
                if threshold.requires is not None and threshold.requires.assumption is not None
                else ()
            ),
        ),
        requires=(
            None
            if threshold.requires is None or threshold.requires.assumption is not None
            else compile_condition(threshold.requires, notes)
        ),
        when=None if threshold.when is None else compile_condition(threshold.when, notes),
    )


def _with_keys(result: Result, keys: tuple[str, ...]) -> Result:
    if not keys:
        return result
    return Result(result.status, recent_used=tuple(dict.fromkeys((*result.recent_used, *keys))))


def _threshold_conditions(threshold: Threshold) -> list[Condition]:
    conditions = [Condition(experience=threshold.experience)]
    conditions += [c for c in (threshold.requires, threshold.when) if c is not None]
    return conditions


def _category(
    category: LadderCategory,
    seed_file: str,
    inherits: dict[str, str | None],
    notes: dict[str, Note],
) -> CompiledCategory:
    citations = []
    if category.threshold_citation is not None:
        citations.append(citation_json(category.threshold_citation, seed_file))
    if category.competencies is not None:
        citations.append(citation_json(category.competencies.citation, seed_file))
    competencies = category.competencies
    # The category's own reading of its years (a bare "5 жыл" read as "кемінде 5 жыл"…) is
    # listed whenever those years decide the category.
    own = category.note
    keys = (register_note(notes, own),) if own is not None and own.kind in READING_KINDS else ()
    thresholds = tuple(_threshold(t, notes, keys) for t in category.thresholds)
    chain: list[str] = [category.id]
    while (parent := inherits.get(chain[-1])) is not None and parent not in chain:
        chain.append(parent)
    note = note_json(category.note) if category.note else None
    fact = f"competencies.{category.id}"
    why = (note["quote"],) if note and note["quote"] else ()
    return CompiledCategory(
        id=category.id,
        status=category.status,
        thresholds=thresholds,
        levels=tuple(dict.fromkeys(t.level for t in category.thresholds)),
        items=tuple(item.id for item in competencies.items) if competencies else (),
        not_applicable={
            item.id: NOT_APPLICABLE_PREFIX + item.id
            for item in (competencies.items if competencies else ())
            if item.optional
        },
        inherits=competencies.inherits if competencies else None,
        citations=tuple(citations),
        note=note,
        source=category,
        by_level={
            level: tuple(t for t in thresholds if t.level == level)
            for level in dict.fromkeys(t.level for t in thresholds)
        },
        chain=tuple(chain),
        competencies_missing=Result(UNKNOWN_STATUS, missing=(fact,)),
        competencies_unknown=Result(UNKNOWN_STATUS, declared_unknown=(fact,)),
        fixed_result=Result(category.status, why=why),  # type: ignore[arg-type]
        fixed_reasons=({"code": category.status, "note": note},),
        candidates=candidates_of(
            [c for t in category.thresholds for c in _threshold_conditions(t)]
        ),
    )


def _route(
    route: Route, seed_file: str, notes: dict[str, Note], position_notes: list[Note]
) -> CompiledRoute:
    named = tuple(register_note(notes, position_notes[i]) for i in route.readings)
    check = _reading(compile_condition(route.condition, notes), named)
    inside = named + tuple(register_note(notes, n) for n in _leaf_readings(route.condition))
    return CompiledRoute(
        id=route.id,
        variant=route.variant,
        check=check,
        label=text_json(route.label),
        citation=citation_json(route.citation, seed_file),
        readings=tuple(dict.fromkeys(inside)),
    )


def _reading(check: Check, keys: tuple[str, ...]) -> Check:
    """``check`` whose met results also carry ``keys`` (the readings the route rests on)."""
    if not keys:
        return check
    readings = Result(MET, recent_used=keys)

    def read(answers: Answers) -> Result:
        result = check(answers)
        return both(result, readings) if result.status == MET else result

    return read


def _none_met(routes: tuple[CompiledRoute, ...], variant: str | None) -> Result:
    keys = tuple(dict.fromkeys(k for r in routes if r.variant == variant for k in r.readings))
    return Result(NOT_MET, recent_used=keys) if keys else NOT_MET_RESULT


def compile_position(position: Position, seed_file: str) -> CompiledPosition:
    notes: dict[str, Note] = {}
    routes = tuple(
        _route(route, seed_file, notes, position.notes) for route in position.entry.routes
    )
    ladder = position.ladder.categories if position.ladder else []
    inherits: dict[str, str | None] = {
        c.id: c.competencies.inherits if c.competencies else None for c in ladder
    }
    categories = tuple(_category(category, seed_file, inherits, notes) for category in ladder)
    variants = dict.fromkeys(route.variant for route in routes)
    return CompiledPosition(
        position=position,
        routes=routes,
        variants=tuple(variant.id for variant in position.entry.variants),
        categories=categories,
        entry_citations=tuple(route.citation for route in routes),
        notes=tuple(note_json(note) for note in position.notes),
        routes_by_variant={
            variant: tuple(route for route in routes if route.variant == variant)
            for variant in variants
        },
        route_candidates={
            variant: candidates_of(
                [route.condition for route in position.entry.routes if route.variant == variant]
            )
            for variant in variants
        },
        none_met={variant: _none_met(routes, variant) for variant in variants},
        assumption_notes={key: note_json(note) for key, note in notes.items()},
    )
