"""The eligibility engine: pure, synchronous functions over the rules data (no I/O).

``evaluate`` returns an Outcome (a JSON-ready dict) that separates the ceiling set by education,
level and experience from the estimate that also counts the declared competencies, explains every
category with reasons and citations (Order No. 338, chapter, paragraph, clause, seed lines), and
always carries the disclaimer. ``next_question`` returns only the next fact still needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from backend.rules.answers import UNKNOWN, Answers, AnswersError
from backend.rules.compiled import CompiledCategory, CompiledPosition, compile_position
from backend.rules.loader import Ruleset
from backend.rules.logic import (
    MET,
    MET_RESULT,
    NOT_MET,
    NOT_MET_RESULT,
    NOT_PROVIDED_RESULT,
    UNKNOWN_STATUS,
    Result,
    all_of,
    any_of,
    effective_level,
)
from backend.rules.questions import Question, question_for
from backend.rules.search import nearest_ids

NO_EXPERIENCE_REASON: dict[str, Any] = {"code": "no_experience_required"}
NOT_ELIGIBLE_REASON: dict[str, Any] = {"code": "not_eligible_for_position"}


class RulesError(ValueError):
    """A request the rules cannot answer (unknown position, date outside the ruleset)."""


class UnknownPositionError(RulesError):
    def __init__(self, position_id: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown position {position_id!r}{hint}")
        self.position_id = position_id
        self.suggestions = suggestions


class RulesDateError(RulesError):
    pass


@dataclass(frozen=True, slots=True)
class _CategoryEval:
    compiled: CompiledCategory
    experience: Result  # eligibility and thresholds: decides the ceiling
    competencies: Result  # own and inherited items
    overall: Result


class Engine:
    """The ruleset compiled once; evaluation then only walks closures."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        seed = ruleset.meta.act.seed_file
        self.positions = {pid: compile_position(p, seed) for pid, p in ruleset.positions.items()}
        self._disclaimer = ruleset.meta.disclaimer.model_dump(exclude_none=True)

    # ----------------------------------------------------------------------------------------
    def position(self, position_id: str) -> CompiledPosition:
        try:
            return self.positions[position_id]
        except KeyError:
            raise UnknownPositionError(
                position_id, nearest_ids(self.ruleset, position_id)
            ) from None

    def check_date(self, on: dt.date, compiled: CompiledPosition | None = None) -> None:
        meta = self.ruleset.meta
        start, end = meta.valid_from, meta.valid_to
        if compiled is not None:
            start = compiled.position.valid_from or start
            end = compiled.position.valid_to or end
        if on < start or (end is not None and on > end):
            until = f" until {end.isoformat()}" if end else ""
            raise RulesDateError(
                f"no ruleset is in force on {on.isoformat()}: {meta.version} applies from "
                f"{start.isoformat()}{until}"
            )

    # ----------------------------------------------------------------------------------------
    def _eligibility(
        self, compiled: CompiledPosition, answers: Answers
    ) -> tuple[Result, list[dict[str, Any]]]:
        variant = answers.get("variant")
        if compiled.variants:
            if variant is None:
                return Result(UNKNOWN_STATUS, missing=("variant",)), []
            if variant not in (*compiled.variants, "general", UNKNOWN):
                raise AnswersError(
                    [f"variant: {variant!r} is not one of general, {', '.join(compiled.variants)}"]
                )
        elif variant not in (None, "general"):
            raise AnswersError([f"variant: position {compiled.position.id} has no variants"])
        if variant == UNKNOWN:
            per_variant = [
                self._routes_result(compiled, v, answers) for v in (None, *compiled.variants)
            ]
            statuses = {result.status for result, _ in per_variant}
            if len(statuses) == 1:
                return per_variant[0]
            reasons = [reason for _, group in per_variant for reason in group]
            return Result(UNKNOWN_STATUS, declared_unknown=("variant",)), reasons
        return self._routes_result(
            compiled, None if variant in (None, "general") else variant, answers
        )

    @staticmethod
    def _routes_result(
        compiled: CompiledPosition, variant: str | None, answers: Answers
    ) -> tuple[Result, list[dict[str, Any]]]:
        results = []
        reasons = []
        for route in compiled.routes_for(variant):
            result = route.check(answers)
            results.append(result)
            reason: dict[str, Any] = {
                "route": route.id,
                "status": result.status,
                "label": route.label,
                "citation": route.citation,
            }
            if result.why:
                reason["why"] = list(result.why)
            reasons.append(reason)
        return any_of(results), reasons

    @staticmethod
    def _level_pending(answers: Answers, level: str | None) -> Result:
        """Why the level is not known: "I don't know", or education/level not answered yet."""
        if level == UNKNOWN:
            return Result(UNKNOWN_STATUS, declared_unknown=("qualification_level",))
        fact = "qualification_level" if answers.get("education") is not None else "education"
        if answers.get(fact) == UNKNOWN:
            return Result(UNKNOWN_STATUS, declared_unknown=(fact,))
        return Result(UNKNOWN_STATUS, missing=(fact,))

    @staticmethod
    def _thresholds(
        category: CompiledCategory, answers: Answers, level: str | None, pending: Result
    ) -> tuple[Result, list[dict[str, Any]], dict[str, Any] | None]:
        """The years part of a category: its result, reasons and the smallest shortfall."""
        if not category.thresholds:
            return MET_RESULT, [NO_EXPERIENCE_REASON], None
        if level is None or level == UNKNOWN:
            return pending, [], None
        options = category.by_level.get(level)
        if not options:
            if level == "high" and category.levels == ("medium",):
                # Only the medium level is given years: for the high level the text is silent.
                return (
                    NOT_PROVIDED_RESULT,
                    [{"code": "text_silent_for_level", "level": level}],
                    None,
                )
            needed = list(category.levels)
            return (
                NOT_MET_RESULT,
                [{"code": "level_required", "levels": needed, "have": level}],
                {
                    "kind": "level",
                    "needed": needed,
                },
            )
        results = []
        reasons = []
        shortfall: dict[str, Any] | None = None
        experience = answers.experience
        for threshold in options:
            results.append(threshold.check(answers))
            have = experience.get(threshold.kind)
            reason: dict[str, Any] = {
                "code": "experience",
                "experience": threshold.kind,
                "op": threshold.op,
                "years": threshold.years,
                "text": threshold.text,
                "have": have,
            }
            if have.__class__ is float:
                years = threshold.years
                ok = have > years if threshold.op == "gt" else have >= years
                reason["met"] = ok
                if not ok:
                    short = round(years - have, 2)  # for "gt", more still
                    reason["short_by"] = short
                    if shortfall is None or short < shortfall["short_by"]:
                        shortfall = {
                            "kind": "experience",
                            "experience": threshold.kind,
                            "op": threshold.op,
                            "years": years,
                            "have": have,
                            "short_by": short,
                        }
            reasons.append(reason)
        result = any_of(results)
        return result, reasons, shortfall if result.status == NOT_MET else None

    @staticmethod
    def _own_competencies(
        category: CompiledCategory, answers: Answers
    ) -> tuple[Result, list[str]]:
        if not category.items:
            return MET_RESULT, []
        declared = answers.competencies.get(category.id)
        if declared is None:
            return category.competencies_missing, []
        if declared == UNKNOWN:
            return category.competencies_unknown, []
        if declared == "all":
            return MET_RESULT, []
        if declared == "none":
            return NOT_MET_RESULT, list(category.items)
        lacking = [i for i in category.items if i not in declared]
        return (NOT_MET_RESULT, lacking) if lacking else (MET_RESULT, [])

    def _categories(
        self, compiled: CompiledPosition, answers: Answers, eligibility: Result
    ) -> tuple[list[_CategoryEval], list[dict[str, Any]]]:
        evaluations: dict[str, _CategoryEval] = {}
        rendered: list[dict[str, Any]] = []
        lacking_by_category: dict[str, list[str]] = {}
        level, _ = effective_level(answers)
        pending = (
            self._level_pending(answers, level)
            if level is None or level == UNKNOWN
            else MET_RESULT
        )
        not_eligible = eligibility.status == NOT_MET
        for category in compiled.categories:
            own, lacking = self._own_competencies(category, answers)
            lacking_by_category[category.id] = lacking
            inherited = evaluations.get(category.inherits) if category.inherits else None
            competencies = all_of([own, inherited.competencies]) if inherited is not None else own
            if category.status != "rule":
                # The text gives no route (not_provided) or cannot be read (undetermined).
                fixed = category.fixed_result
                evaluations[category.id] = _CategoryEval(category, fixed, competencies, fixed)
                rendered.append(
                    {
                        "id": category.id,
                        "citations": list(category.citations),
                        "status": category.status,
                        "reasons": [{"code": category.status, "note": category.note}],
                        "missing": [],
                    }
                )
                continue
            thresholds, reasons, shortfall = self._thresholds(category, answers, level, pending)
            experience = all_of([eligibility, thresholds])
            overall = all_of([experience, competencies])
            evaluations[category.id] = _CategoryEval(category, experience, competencies, overall)
            if not_eligible:
                reasons.insert(0, NOT_ELIGIBLE_REASON)
            reasons.append({"code": "competencies", "status": competencies.status})
            missing: list[dict[str, Any]] = [{"kind": "eligibility"}] if not_eligible else []
            if shortfall is not None:
                missing.append(shortfall)
            for link in category.chain:
                if lacking_by_category.get(link):
                    missing.append(
                        {
                            "kind": "competencies",
                            "category": link,
                            "items": lacking_by_category[link],
                        }
                    )
            for fact in eligibility.missing + thresholds.missing:
                missing.append({"kind": "fact", "fact": fact})
            entry: dict[str, Any] = {
                "id": category.id,
                "citations": list(category.citations),
                "status": overall.status,
                "reasons": reasons,
                "missing": missing,
            }
            if category.note is not None:
                entry["note"] = category.note
            rendered.append(entry)
        return list(evaluations.values()), rendered

    # ----------------------------------------------------------------------------------------
    def evaluate(self, position_id: str, answers: Answers, on: dt.date) -> dict[str, Any]:
        """The Outcome for one person and position under the rules in force on ``on``."""
        compiled = self.position(position_id)
        self.check_date(on, compiled)
        eligibility, position_reasons = self._eligibility(compiled, answers)
        evaluations, categories = self._categories(compiled, answers, eligibility)

        ceiling = estimate = None
        for evaluation in evaluations:
            if evaluation.compiled.status != "rule":
                continue
            if evaluation.experience.status == MET:
                ceiling = evaluation.compiled.id
            if evaluation.overall.status == MET:
                estimate = evaluation.compiled.id
        next_up = self._next(categories, estimate)

        missing = _ordered_facts([eligibility, *(e.overall for e in evaluations)])
        declared = _ordered_declared([eligibility, *(e.overall for e in evaluations)])
        return {
            "position": position_id,
            "as_of": on.isoformat(),
            "ruleset_version": self.ruleset.version,
            "eligible_for_position": {MET: "yes", NOT_MET: "no"}.get(
                eligibility.status, "unknown"
            ),
            "position_reasons": position_reasons,
            "ceiling_by_experience": ceiling,
            "estimate": estimate,
            "categories": categories,
            "next": next_up,
            "missing_facts": missing,
            "unknown_answers": declared,
            "assumptions": self._assumptions(
                answers, [eligibility, *(e.experience for e in evaluations)]
            ),
            "notes": list(compiled.notes),
            "disclaimer": self._disclaimer,
        }

    @staticmethod
    def _next(categories: list[dict[str, Any]], estimate: str | None) -> dict[str, Any] | None:
        ids = [c["id"] for c in categories]
        start = ids.index(estimate) + 1 if estimate in ids else 0
        for category in categories[start:]:
            if category["status"] != MET:
                return {
                    "category": category["id"],
                    "status": category["status"],
                    "missing": category["missing"],
                }
        return None

    @staticmethod
    def _assumptions(answers: Answers, results: list[Result]) -> list[dict[str, Any]]:
        assumptions: list[dict[str, Any]] = []
        level, derived = effective_level(answers)
        if derived:
            assumptions.append(
                {"code": "level_derived", "education": answers.get("education"), "level": level}
            )
        recent = dict.fromkeys(kind for result in results for kind in result.recent_used)
        assumptions.extend({"code": "recent_as_total", "experience": kind} for kind in recent)
        return assumptions

    def next_question(self, position_id: str, answers: Answers, on: dt.date) -> Question | None:
        """The next fact still needed, or None when no answer can change the outcome."""
        outcome = self.evaluate(position_id, answers, on)
        facts = outcome["missing_facts"]
        if not facts:
            return None
        return question_for(self.position(position_id), facts[0], remaining=len(facts))


def _ordered_facts(results: list[Result]) -> list[str]:
    """Facts to ask: everything about education and experience first, competencies last."""
    facts = dict.fromkeys(fact for result in results for fact in result.missing)
    first = [f for f in facts if not f.startswith("competencies.")]
    return first + [f for f in facts if f.startswith("competencies.")]


def _ordered_declared(results: list[Result]) -> list[str]:
    return list(dict.fromkeys(fact for result in results for fact in result.declared_unknown))


_ENGINES: dict[int, tuple[Ruleset, Engine]] = {}


def engine_for(ruleset: Ruleset) -> Engine:
    """The compiled engine of a ruleset, built once per ruleset object."""
    cached = _ENGINES.get(id(ruleset))
    if cached is None or cached[0] is not ruleset:
        cached = (ruleset, Engine(ruleset))
        _ENGINES[id(ruleset)] = cached
    return cached[1]


def evaluate(ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date) -> dict[str, Any]:
    return engine_for(ruleset).evaluate(position_id, answers, on)


def next_question(
    ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date
) -> Question | None:
    return engine_for(ruleset).next_question(position_id, answers, on)
