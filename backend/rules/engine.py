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
    NOT_PROVIDED,
    UNKNOWN_STATUS,
    Result,
    all_of,
    any_of,
    effective_level,
)
from backend.rules.questions import Question, question_for
from backend.rules.search import nearest_ids


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
    def _thresholds(
        category: CompiledCategory, answers: Answers
    ) -> tuple[Result, list[dict[str, Any]]]:
        if not category.thresholds:
            return MET_RESULT, [{"code": "no_experience_required"}]
        level, _ = effective_level(answers)
        if level is None or level == UNKNOWN:
            fact = "qualification_level" if answers.get("education") is not None else "education"
            if level == UNKNOWN:
                return Result(UNKNOWN_STATUS, declared_unknown=("qualification_level",)), []
            pending = answers.get(fact)
            if pending == UNKNOWN:
                return Result(UNKNOWN_STATUS, declared_unknown=(fact,)), []
            return Result(UNKNOWN_STATUS, missing=(fact,)), []
        options = [t for t in category.thresholds if t.level == level]
        if not options and level == "high" and category.levels == ("medium",):
            # Only the medium level is given years: for the high level the text is silent.
            return Result(NOT_PROVIDED), [{"code": "text_silent_for_level", "level": level}]
        if not options:
            return NOT_MET_RESULT, [
                {"code": "level_required", "levels": list(category.levels), "have": level}
            ]
        results = [threshold.check(answers) for threshold in options]
        reasons = []
        for threshold in options:
            have = answers.experience.get(threshold.kind)
            reason: dict[str, Any] = {
                "code": "experience",
                "experience": threshold.kind,
                "op": threshold.op,
                "years": threshold.years,
                "text": threshold.text,
                "have": have,
            }
            if isinstance(have, float):
                ok = have > threshold.years if threshold.op == "gt" else have >= threshold.years
                reason["met"] = ok
                if not ok:
                    reason["short_by"] = round(threshold.years - have, 2)  # "gt" needs more still
            reasons.append(reason)
        return any_of(results), reasons

    @staticmethod
    def _own_competencies(
        category: CompiledCategory, answers: Answers
    ) -> tuple[Result, list[str]]:
        if not category.items:
            return MET_RESULT, []
        fact = f"competencies.{category.id}"
        declared = answers.competencies.get(category.id)
        if declared is None:
            return Result(UNKNOWN_STATUS, missing=(fact,)), []
        if declared == UNKNOWN:
            return Result(UNKNOWN_STATUS, declared_unknown=(fact,)), []
        if declared == "all":
            return MET_RESULT, []
        lacking = (
            list(category.items)
            if declared == "none"
            else [i for i in category.items if i not in declared]
        )
        return (NOT_MET_RESULT, lacking) if lacking else (MET_RESULT, [])

    def _categories(
        self, compiled: CompiledPosition, answers: Answers, eligibility: Result
    ) -> tuple[list[_CategoryEval], list[dict[str, Any]]]:
        evaluations: dict[str, _CategoryEval] = {}
        rendered: list[dict[str, Any]] = []
        lacking_by_category: dict[str, list[str]] = {}
        for category in compiled.categories:
            entry: dict[str, Any] = {"id": category.id, "citations": list(category.citations)}
            own, lacking = self._own_competencies(category, answers)
            lacking_by_category[category.id] = lacking
            parts = [own]
            inherited = evaluations.get(category.inherits) if category.inherits else None
            if inherited is not None:
                parts.append(inherited.competencies)
            competencies = all_of(parts)
            if category.status != "rule":
                # The text gives no route (not_provided) or cannot be read (undetermined).
                why = (category.note["quote"],) if category.note and category.note["quote"] else ()
                fixed = Result(category.status, why=why)  # type: ignore[arg-type]
                evaluations[category.id] = _CategoryEval(category, fixed, competencies, fixed)
                entry.update(
                    status=category.status,
                    reasons=[{"code": category.status, "note": category.note}],
                    missing=[],
                )
                rendered.append(entry)
                continue
            thresholds, reasons = self._thresholds(category, answers)
            experience = all_of([eligibility, thresholds])
            overall = all_of([experience, competencies])
            evaluations[category.id] = _CategoryEval(category, experience, competencies, overall)
            if eligibility.status == NOT_MET:
                reasons = [{"code": "not_eligible_for_position"}, *reasons]
            reasons.append({"code": "competencies", "status": competencies.status})
            entry.update(
                status=overall.status,
                reasons=reasons,
                missing=self._missing(
                    category=category,
                    eligibility=eligibility,
                    thresholds=thresholds,
                    reasons=reasons,
                    lacking_by_category=lacking_by_category,
                    evaluations=evaluations,
                ),
            )
            if category.note is not None:
                entry["note"] = category.note
            rendered.append(entry)
        return list(evaluations.values()), rendered

    @staticmethod
    def _missing(
        *,
        category: CompiledCategory,
        eligibility: Result,
        thresholds: Result,
        reasons: list[dict[str, Any]],
        lacking_by_category: dict[str, list[str]],
        evaluations: dict[str, _CategoryEval],
    ) -> list[dict[str, Any]]:
        missing: list[dict[str, Any]] = []
        if eligibility.status == NOT_MET:
            missing.append({"kind": "eligibility"})
        if thresholds.status == NOT_MET:
            for reason in reasons:
                if reason.get("code") == "level_required":
                    missing.append({"kind": "level", "needed": reason["levels"]})
            shortfalls = [
                r for r in reasons if r.get("code") == "experience" and r.get("met") is False
            ]
            if shortfalls:
                best = min(shortfalls, key=lambda r: r["short_by"])
                missing.append(
                    {
                        "kind": "experience",
                        "experience": best["experience"],
                        "op": best["op"],
                        "years": best["years"],
                        "have": best["have"],
                        "short_by": best["short_by"],
                    }
                )
        chain: str | None = category.id
        while chain is not None:
            lacking = lacking_by_category.get(chain) or []
            if lacking:
                missing.append({"kind": "competencies", "category": chain, "items": lacking})
            inherited = evaluations.get(chain)
            chain = inherited.compiled.inherits if inherited else None
            if chain == category.id:
                break
        for fact in (*eligibility.missing, *thresholds.missing):
            missing.append({"kind": "fact", "fact": fact})
        return missing

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
