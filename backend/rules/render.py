"""Plain-text rendering of positions and outcomes for the CLI (names in kk or ru)."""

from __future__ import annotations

from typing import Any

from backend.rules.citations import cite as cite_lines
from backend.rules.clauses import packaged_clauses
from backend.rules.loader import Ruleset
from backend.rules.schema import Condition, Position

SIGNS = {"ge": ">=", "gt": ">"}
MARKS = {"met": "✓", "not_met": "✗", "unknown": "?", "not_provided": "—", "undetermined": "~"}


def cite(citation: dict[str, Any]) -> str:
    lines = citation.get("lines") or ["?", "?"]
    where = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("ch.", citation.get("chapter")),
            ("§", citation.get("paragraph")),
            ("cl.", citation.get("clause")),
        )
        if value not in (None, "")
    )
    return f"Order {citation.get('act', '338')}, {where}, lines {lines[0]}-{lines[1]}"


def condition_text(condition: Condition) -> str:
    if condition.all_of is not None:
        return " AND ".join(_grouped(c) for c in condition.all_of)
    if condition.any_of is not None:
        return " OR ".join(_grouped(c) for c in condition.any_of)
    if condition.experience is not None:
        e = condition.experience
        sign = ">=" if e.op == "ge" else ">"
        recent = " (the last years)" if e.recent else ""
        return f"experience.{e.kind} {sign} {e.years:g}{recent} «{e.text}»"
    for key in type(condition).model_fields:
        value = getattr(condition, key)
        if value is not None:
            shown = "|".join(value) if isinstance(value, list) else value
            return f"{key} = {shown}"
    return "?"


def _grouped(condition: Condition) -> str:
    text = condition_text(condition)
    return f"({text})" if condition.all_of or condition.any_of else text


def position_text(position: Position, ruleset: Ruleset, lang: str) -> str:
    out = [
        f"{position.id}  {position.name.get(lang)}",
        f"      {position.name.get('kk' if lang == 'ru' else 'ru')}",
    ]
    out.append(
        f"kind: {position.org_kind}; clauses: requirements {position.clauses.requirements}"
        + (
            f", competencies {position.clauses.competencies}"
            if position.clauses.competencies
            else ""
        )
    )
    out.append("\nEntry routes (any one suffices):")
    for route in position.entry.routes:
        variant = f" [{route.variant}]" if route.variant else ""
        out.append(f"  • {route.label.get(lang)}{variant}: {condition_text(route.condition)}")
        out.append(f"      {cite(route.citation.model_dump())}")
    if position.ladder:
        out.append("\nCategories:")
        for category in position.ladder.categories:
            name = ruleset.category_name(category.id, lang)
            if category.status != "rule":
                out.append(f"  {MARKS[category.status]} {name}: {category.status}")
                continue
            thresholds = (
                "; ".join(
                    f"{t.level}: {t.experience.kind} {SIGNS[t.experience.op]} {years:g}"
                    for t in category.thresholds
                    for years in [t.experience.years]
                )
                or "no experience required"
            )
            items = len(category.competencies.items) if category.competencies else 0
            out.append(f"  • {name}: {thresholds}; {items} competency items")
    clauses = packaged_clauses().get(position.id, {})
    for part in ("requirements", "competencies"):
        clause = clauses.get(part)
        if clause:
            lines = clause["lines"]
            out.append(f"\nVerbatim, {ruleset.meta.act.seed_file} lines {lines[0]}-{lines[1]}:")
            out.append(str(clause["kk"]))
    return "\n".join(out)


def outcome_text(outcome: dict[str, Any], ruleset: Ruleset, lang: str) -> str:
    position = ruleset.positions[outcome["position"]]

    def name(category: str | None) -> str:
        return ruleset.category_name(category, lang) if category else "—"  # type: ignore[arg-type]

    out = [
        f"{position.id} {position.name.get(lang)}",
        f"As of {outcome['as_of']}, ruleset {outcome['ruleset_version']}",
        f"Eligible for the position: {outcome['eligible_for_position']}",
        f"Ceiling by education and experience: {name(outcome['ceiling_by_experience'])}",
        f"Estimate with your competencies: {name(outcome['estimate'])}",
        "",
    ]
    for category in outcome["categories"]:
        out.append(f"  {MARKS.get(category['status'], '?')} {name(category['id'])}")
        for missing in category["missing"]:
            out.append(f"      missing: {_missing_text(missing)}")
    if outcome["missing_facts"]:
        out.append(f"\nStill needed: {', '.join(outcome['missing_facts'])}")
    for assumption in outcome["assumptions"]:
        out.append(f"Assumed: {_assumption_text(assumption, lang)}")
    citations = [reason["citation"] for reason in outcome["position_reasons"]]
    citations += [c for category in outcome["categories"] for c in category["citations"]]
    out += ["", *cite_lines(ruleset, citations, lang)]
    out.append("\n" + outcome["disclaimer"].get(lang, outcome["disclaimer"]["ru"]))
    return "\n".join(out)


def _assumption_text(assumption: dict[str, Any], lang: str) -> str:
    code = assumption["code"]
    if code == "interpretation":
        explanation = assumption.get("explanation") or {}
        return (
            f"«{assumption.get('quote') or ''}» — {explanation.get(lang) or explanation.get('ru')}"
        )
    if code == "level_derived":
        return (
            f"qualification level {assumption['level']} from education {assumption['education']}"
        )
    if code == "recent_as_total":
        return f"total {assumption['experience']} years counted for «the last N years»"
    return str(code)


def _missing_text(missing: dict[str, Any]) -> str:
    kind = missing["kind"]
    if kind == "experience":
        return f"{missing['short_by']:g} more year(s) of {missing['experience']} experience"
    if kind == "level":
        return f"qualification level {' or '.join(missing['needed'])}"
    if kind == "competencies":
        return f"competencies of {missing['category']}: {', '.join(missing['items'])}"
    if kind == "fact":
        return f"answer {missing['fact']}"
    return "the position's qualification requirements"
