"""The eligibility engine: pure, synchronous functions over the rules data (no I/O).

``evaluate`` returns a typed Outcome (``backend.rules.outcome``) that separates the ceiling set by
education, level and experience from the estimate that also counts the declared competencies,
explains every category with reasons and citations (Order No. 338, chapter, paragraph, clause,
seed lines), and always carries the disclaimer. ``next_question`` returns only the next fact
still needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from backend.rules.answers import UNKNOWN, Answers, AnswersError
from backend.rules.cache import per_ruleset
from backend.rules.compiled import (
    CompiledCategory,
    CompiledPosition,
    CompiledThreshold,
    compile_position,
)
from backend.rules.loader import Ruleset
from backend.rules.logic import (
    MET,
    MET_RESULT,
    NOT_MET,
    NOT_MET_RESULT,
    NOT_PROVIDED_RESULT,
    OPEN,
    UNKNOWN_STATUS,
    Result,
    any_of,
    both,
    effective_level,
    pending_results,
    settle,
    shared_candidates,
)
from backend.rules.outcome import CategoryOutcome, Eligibility, NextStep, Outcome
from backend.rules.questions import Question, question_for
from backend.rules.search import nearest_ids

NO_EXPERIENCE_REASON: dict[str, Any] = {"code": "no_experience_required"}
NOT_ELIGIBLE_REASON: dict[str, Any] = {"code": "not_eligible_for_position"}
_ELIGIBLE: dict[str, Eligibility] = {MET: "yes", NOT_MET: "no"}  # any other: "unknown"
_PENDING = {fact: pending_results(fact) for fact in ("education", "qualification_level")}
_LEVEL_DECLARED_UNKNOWN = _PENDING["qualification_level"][1]
_VARIANT_MISSING = pending_results("variant")[0]


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


@dataclass(slots=True)
class _Ladder:
    """What the categories decide, gathered in one pass over them."""

    rendered: list[CategoryOutcome]  # the Outcome's categories
    ceiling: str | None  # the highest rule category whose experience part is met
    estimate: str | None  # the highest rule category met with the competencies too
    after_estimate: int  # where in ``rendered`` to look for the next category to reach
    # Gathered from eligibility and every category, in order, repeats included:
    missing: tuple[str, ...]  # facts not answered yet
    declared_unknown: tuple[str, ...]  # facts answered "I don't know"
    recent_used: tuple[str, ...]  # experience kinds checked as totals for "the last N years"


class Engine:
    """The ruleset compiled once; evaluation then only walks closures."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        seed = ruleset.meta.act.seed_file
        self.positions = {pid: compile_position(p, seed) for pid, p in ruleset.positions.items()}
        self._disclaimer = ruleset.meta.disclaimer.model_dump(exclude_none=True)
        self._version = ruleset.version
        # When each position's rules are in force (checked on every evaluation).
        self._in_force = {
            pid: (
                compiled.position.valid_from or ruleset.meta.valid_from,
                compiled.position.valid_to or ruleset.meta.valid_to,
            )
            for pid, compiled in self.positions.items()
        }

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
        variant = answers.values.get("variant")
        if compiled.variants:
            if variant is not None and variant not in (*compiled.variants, "general", UNKNOWN):
                raise AnswersError(
                    [f"variant: {variant!r} is not one of general, {', '.join(compiled.variants)}"]
                )
        elif variant not in (None, "general"):
            raise AnswersError([f"variant: position {compiled.position.id} has no variants"])
        if compiled.variants and variant in (None, UNKNOWN):
            return self._any_variant(compiled, answers, asked=variant is None)
        return self._routes_result(
            compiled, None if variant in (None, "general") else variant, answers
        )

    def _any_variant(
        self, compiled: CompiledPosition, answers: Answers, *, asked: bool
    ) -> tuple[Result, list[dict[str, Any]]]:
        """The variant not answered (``asked``) or not known: every variant is tried; when they
        all give the same result the variant does not matter and is not asked."""
        per_variant = [
            self._routes_result(compiled, v, answers) for v in (None, *compiled.variants)
        ]
        first = per_variant[0][0]
        if all(
            r.status == first.status and r.missing == first.missing for r, _ in per_variant[1:]
        ):
            results = [result for result, _ in per_variant]
            merged = any_of(results) if first.status in OPEN else first
            if merged.status != first.status:
                merged = first
            if not asked and merged.status in OPEN:
                merged = Result(
                    merged.status,
                    merged.missing,
                    ("variant", *merged.declared_unknown),
                    merged.recent_used,
                    merged.why,
                )
            return merged, per_variant[0][1]
        # The variant decides: ask it first (or, when it is not known, every variant's open
        # facts stay askable — they may settle it for all of them).
        missing = tuple(dict.fromkeys(f for result, _ in per_variant for f in result.missing))
        declared = tuple(dict.fromkeys(f for r, _ in per_variant for f in r.declared_unknown))
        if asked:
            missing = ("variant", *missing)
        else:
            declared = ("variant", *declared)
        reasons = [reason for _, group in per_variant for reason in group]
        return Result(UNKNOWN_STATUS, missing=missing, declared_unknown=declared), reasons

    @staticmethod
    def _routes_result(
        compiled: CompiledPosition, variant: str | None, answers: Answers
    ) -> tuple[Result, list[dict[str, Any]]]:
        results = []
        reasons = []
        for route in compiled.routes_for(variant):
            result = route.check(answers)
            if result is not NOT_MET_RESULT:  # a plain not_met changes nothing in a disjunction
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
        if not results:
            return compiled.none_met.get(variant, NOT_MET_RESULT), reasons
        outcome = any_of(results)
        if outcome.status == NOT_MET:
            return compiled.none_met.get(variant, NOT_MET_RESULT), reasons
        if outcome.missing and len(results) > 1:
            candidates = compiled.route_candidates.get(variant)
            shared = shared_candidates(results, candidates) if candidates else None
            if shared:
                routes = compiled.routes_for(variant)

                def check(given: Answers) -> Result:
                    return any_of([route.check(given) for route in routes])

                outcome = settle(check, outcome, answers, shared)
        return outcome, reasons

    @staticmethod
    def _level_pending(answers: Answers, level: str | None) -> Result:
        """Why the level is not known: "I don't know", or education/level not answered yet."""
        if level == UNKNOWN:
            return _LEVEL_DECLARED_UNKNOWN
        fact = "education" if answers.values.get("education") is None else "qualification_level"
        missing, declared_unknown = _PENDING[fact]
        return declared_unknown if answers.values.get(fact) == UNKNOWN else missing

    def _thresholds(
        self, category: CompiledCategory, answers: Answers, level: str
    ) -> tuple[Result, list[dict[str, Any]], dict[str, Any] | None]:
        """The years part of a category with thresholds, for a known level: its result,
        reasons and the smallest shortfall."""
        options = category.by_level.get(level)
        if not options:
            return _no_threshold_for(category, level)
        results = []
        reasons = []
        # short_by, what, have, and the facts that decide whether that threshold applies
        closest: tuple[float, CompiledThreshold, float, tuple[str, ...]] | None = None
        experience = answers.experience
        for threshold in options:
            applies = MET_RESULT if threshold.when is None else threshold.when(answers)
            if applies.status == NOT_MET:
                continue  # e.g. the rural years for an urban school: not this person's rule
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
                # The years are compared here anyway (for the reason), so the result follows.
                years = threshold.years
                ok = have > years if threshold.strict else have >= years
                reason["met"] = ok
                if ok:
                    result = threshold.years_met
                else:
                    result = NOT_MET_RESULT
                    short = round(years - have, 2)  # for "gt", more still
                    reason["short_by"] = short
                    depends = applies.missing + applies.declared_unknown
                    if closest is None or (not depends, -short) > (not closest[3], -closest[0]):
                        closest = (short, threshold, have, depends)
            else:
                result = threshold.years_check(answers)  # not answered, or "I don't know"
            if threshold.requires is not None:
                result = both(result, threshold.requires(answers))
            if applies is not MET_RESULT:
                result = both(result, applies)
                _note_condition(reason, applies)
            results.append(result)
            reasons.append(reason)
        if not results:  # no threshold of this level applies to this person: the text is silent
            return NOT_PROVIDED_RESULT, [{"code": "text_silent_for_level", "level": level}], None
        result = (
            results[0] if len(results) == 1 else self._either(category, results, answers, level)
        )
        if closest is None or result.status != NOT_MET:
            return result, reasons, None
        return result, reasons, _shortfall(*closest)

    def _either(
        self, category: CompiledCategory, results: list[Result], answers: Answers, level: str
    ) -> Result:
        """Several thresholds of a level (urban and rural, …): any one suffices; a fact that
        only chooses between thresholds which all agree is not needed."""
        result = any_of(results)
        shared = shared_candidates(results, category.candidates) if result.missing else None
        if not shared:
            return result

        def check(given: Answers) -> Result:
            return self._thresholds(category, given, level)[0]

        return settle(check, result, answers, shared)

    @staticmethod
    def _own_competencies(
        category: CompiledCategory, answers: Answers
    ) -> tuple[Result, list[str] | None]:
        """The checklist of a category with one: its result and the items lacking (None: none)."""
        declared = answers.competencies.get(category.id)
        if declared is None:
            return category.competencies_missing, None
        if declared == UNKNOWN:
            return category.competencies_unknown, None
        if declared == "all":
            return MET_RESULT, None
        if declared == "none":
            return NOT_MET_RESULT, list(category.items)
        not_applicable = category.not_applicable
        if not_applicable:  # "(бар болса)" items answered "does not apply" do not count against
            lacking = [
                i
                for i in category.items
                if i not in declared and not_applicable.get(i, i) not in declared
            ]
        else:
            lacking = [i for i in category.items if i not in declared]
        return (NOT_MET_RESULT, lacking) if lacking else (MET_RESULT, None)

    def _categories(
        self, compiled: CompiledPosition, answers: Answers, eligibility: Result, level: str | None
    ) -> _Ladder:
        rendered: list[CategoryOutcome] = []
        missing_facts = eligibility.missing
        declared_unknown = eligibility.declared_unknown
        recent_used = eligibility.recent_used
        ceiling = estimate = None
        after_estimate = 0
        competencies_by_category: dict[str, Result] = {}  # own and inherited, for inheritors
        lacking_by_category: dict[str, list[str]] = {}
        # With no level known, every category's years wait for it.
        level_pending = (
            self._level_pending(answers, level) if level is None or level == UNKNOWN else None
        )
        not_eligible = eligibility.status == NOT_MET
        # the singleton lets ``both`` decide at once (the readings it carries are kept above)
        entry = NOT_MET_RESULT if not_eligible else eligibility
        own_competencies, thresholds_of = self._own_competencies, self._thresholds
        for category in compiled.categories:
            if category.items:
                own, lacking = own_competencies(category, answers)
                if lacking:
                    lacking_by_category[category.id] = lacking
            else:
                own = MET_RESULT
            inherits = category.inherits
            competencies = (
                both(own, competencies_by_category[inherits]) if inherits is not None else own
            )
            competencies_by_category[category.id] = competencies
            if category.status != "rule":
                # The text gives no route (not_provided) or cannot be read (undetermined).
                # Its fixed result carries no facts or assumptions: nothing to gather.
                rendered.append(
                    CategoryOutcome(
                        category.id,
                        category.status,
                        category.citations,
                        category.fixed_reasons,
                        (),
                    )
                )
                continue
            if not category.thresholds:
                thresholds, reasons, shortfall = MET_RESULT, [NO_EXPERIENCE_REASON], None
            elif level_pending is not None:
                thresholds, reasons, shortfall = level_pending, [], None
            else:
                assert level is not None
                thresholds, reasons, shortfall = thresholds_of(category, answers, level)
            experience = both(entry, thresholds)
            overall = both(experience, competencies)
            missing_facts += overall.missing
            declared_unknown += overall.declared_unknown
            recent_used += experience.recent_used
            if experience.status == MET:
                ceiling = category.id
            if overall.status == MET:
                estimate = category.id
                after_estimate = len(rendered) + 1
            if not_eligible:
                reasons.insert(0, NOT_ELIGIBLE_REASON)
            reasons.append({"code": "competencies", "status": competencies.status})
            if overall.why:  # undetermined: the quotes that keep the text from deciding
                reasons.append({"code": "undetermined", "why": list(overall.why)})
            missing = _category_missing(
                category,
                not_eligible,
                shortfall,
                lacking_by_category,
                # facts only where an answer can still change the status
                eligibility.missing + thresholds.missing if overall.status != NOT_MET else (),
            )
            rendered.append(
                CategoryOutcome(
                    category.id,
                    overall.status,
                    category.citations,
                    reasons,
                    missing,
                    category.note,
                )
            )
        return _Ladder(
            rendered,
            ceiling,
            estimate,
            after_estimate,
            missing_facts,
            declared_unknown,
            recent_used,
        )

    # ----------------------------------------------------------------------------------------
    def evaluate(self, position_id: str, answers: Answers, on: dt.date) -> Outcome:
        """The Outcome for one person and position under the rules in force on ``on``."""
        compiled = self.positions.get(position_id) or self.position(position_id)
        start, end = self._in_force[position_id]
        if on < start or (end is not None and on > end):
            self.check_date(on, compiled)  # raises, naming the dates in force
        eligibility, position_reasons = self._eligibility(compiled, answers)
        level, derived = effective_level(answers)
        ladder = self._categories(compiled, answers, eligibility, level)
        return Outcome(
            position=position_id,
            as_of=on,
            ruleset_version=self._version,
            eligible_for_position=_ELIGIBLE.get(eligibility.status, "unknown"),
            position_reasons=position_reasons,
            ceiling_by_experience=ladder.ceiling,
            estimate=ladder.estimate,
            categories=ladder.rendered,
            next=self._next(ladder.rendered, ladder.after_estimate),
            missing_facts=_ordered_facts(ladder.missing),
            unknown_answers=list(dict.fromkeys(ladder.declared_unknown)),
            assumptions=self._assumptions(compiled, answers, level, derived, ladder.recent_used),
            notes=compiled.notes,
            disclaimer=self._disclaimer,
        )

    @staticmethod
    def _next(categories: list[CategoryOutcome], after_estimate: int) -> NextStep | None:
        """The first category above the estimate (from the bottom if none) not yet met."""
        for category in categories[after_estimate:]:
            if category.status != MET:
                return NextStep(category.id, category.status, category.missing)
        return None

    @staticmethod
    def _assumptions(
        compiled: CompiledPosition,
        answers: Answers,
        level: str | None,
        derived: bool,
        recent_used: tuple[str, ...],
    ) -> list[dict[str, Any]]:
        assumptions: list[dict[str, Any]] = []
        if derived:
            assumptions.append(
                {"code": "level_derived", "education": answers.get("education"), "level": level}
            )
        if recent_used:
            for key in dict.fromkeys(recent_used):
                kind, _, value = key.partition(":")
                if kind == "recent":
                    assumptions.append({"code": "recent_as_total", "experience": value})
                else:
                    note = compiled.assumption_notes[key]
                    assumptions.append({"code": "interpretation", **note})
        return assumptions

    def next_question(self, position_id: str, answers: Answers, on: dt.date) -> Question | None:
        """The next fact still needed, or None when no answer can change the outcome."""
        outcome = self.evaluate(position_id, answers, on)
        facts = outcome.missing_facts
        if not facts:
            return None
        return question_for(self.position(position_id), facts[0], remaining=len(facts))


def _no_threshold_for(
    category: CompiledCategory, level: str
) -> tuple[Result, list[dict[str, Any]], dict[str, Any] | None]:
    if level == "high" and category.levels == ("medium",):
        # Only the medium level is given years: for the high level the text is silent.
        return NOT_PROVIDED_RESULT, [{"code": "text_silent_for_level", "level": level}], None
    needed = list(category.levels)
    return (
        NOT_MET_RESULT,
        [{"code": "level_required", "levels": needed, "have": level}],
        {"kind": "level", "needed": needed},
    )


def _note_condition(reason: dict[str, Any], applies: Result) -> None:
    """Name the unanswered facts that decide whether a threshold applies (locality…)."""
    if applies.missing or applies.declared_unknown:
        reason["applies_if"] = list(applies.missing + applies.declared_unknown)


def _shortfall(
    short: float, threshold: CompiledThreshold, have: float, depends: tuple[str, ...]
) -> dict[str, Any]:
    shortfall: dict[str, Any] = {
        "kind": "experience",
        "experience": threshold.kind,
        "op": threshold.op,
        "years": threshold.years,
        "have": have,
        "short_by": short,
    }
    if depends:
        shortfall["applies_if"] = list(depends)
    return shortfall


def _category_missing(
    category: CompiledCategory,
    not_eligible: bool,
    shortfall: dict[str, Any] | None,
    lacking_by_category: dict[str, list[str]],
    facts: tuple[str, ...],
) -> list[dict[str, Any]]:
    """What a rule category still lacks: eligibility, years, competency items, answers."""
    missing: list[dict[str, Any]] = [{"kind": "eligibility"}] if not_eligible else []
    if shortfall is not None:
        missing.append(shortfall)
    if lacking_by_category:
        for link in category.chain:
            if link in lacking_by_category:
                items = lacking_by_category[link]
                missing.append({"kind": "competencies", "category": link, "items": items})
    for fact in facts:
        missing.append({"kind": "fact", "fact": fact})
    return missing


def _ordered_facts(missing: tuple[str, ...]) -> list[str]:
    """Facts to ask: everything about education and experience first, competencies last."""
    if not missing:
        return []
    facts = dict.fromkeys(missing)
    first = [f for f in facts if not f.startswith("competencies.")]
    return first + [f for f in facts if f.startswith("competencies.")]


engine_for = per_ruleset(Engine)  # the compiled engine of a ruleset, built once per ruleset


def evaluate(ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date) -> Outcome:
    return engine_for(ruleset).evaluate(position_id, answers, on)


def next_question(
    ruleset: Ruleset, position_id: str, answers: Answers, on: dt.date
) -> Question | None:
    return engine_for(ruleset).next_question(position_id, answers, on)
