"""The outcome as a message: estimate, ceiling, a line per category, what is missing, clauses."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from backend.rules.loader import Ruleset
from bot.handlers.assessment import texts

MARKS = {"met": "✓", "not_met": "✗", "unknown": "?", "not_provided": "—", "undetermined": "~"}
QUOTE_LIMIT = 200


def _category(ruleset: Ruleset, category: str | None, lang: str) -> str:
    return ruleset.category_name(category, lang) if category else _("none yet")  # type: ignore[arg-type]


def missing_text(missing: dict[str, Any], ruleset: Ruleset, lang: str) -> str:
    kind = missing["kind"]
    if kind == "experience":
        return _("{years} more of {kind}").format(
            years=texts.years(float(missing["short_by"])),
            kind=texts.experience_kind(missing["experience"]),
        )
    if kind == "level":
        return _("a high qualification level")
    if kind == "competencies":
        items = ", ".join(item.lstrip("c") for item in missing["items"])
        name = ruleset.category_name(missing["category"], lang)
        count = len(missing["items"])
        return ngettext(
            "requirement {items} of «{category}» not ticked",
            "requirements {items} of «{category}» not ticked",
            count,
        ).format(items=items, category=name)
    if kind == "fact":
        return _("an answer you have not given yet")
    return _("the position's qualification requirements")


def pending_answers(
    category: dict[str, Any], unknown_answers: Sequence[str], ruleset: Ruleset, lang: str
) -> str:
    """The answers an "unknown" category waits for, by name: the ones still to give, else the
    ones given as «I don't know»."""
    facts = [m["fact"] for m in category["missing"] if m["kind"] == "fact"] or unknown_answers
    return ", ".join(f"«{texts.fact_label(fact, ruleset, lang)}»" for fact in dict.fromkeys(facts))


def category_reason(
    category: dict[str, Any], ruleset: Ruleset, lang: str, unknown_answers: Sequence[str] = ()
) -> str:
    status = category["status"]
    if status == "not_provided":
        return _("the text of the order gives no route to it")
    if status == "undetermined":
        note = category.get("note") or {}
        quote = (note.get("quote") or "")[:QUOTE_LIMIT]
        return _("the text is garbled here: «{quote}»").format(quote=quote)
    if status == "unknown":
        answers = pending_answers(category, unknown_answers, ruleset, lang)
        if answers:
            return _("not known yet: depends on {answers}").format(answers=answers)
        return _("depends on an answer you gave as «I don't know» or have not given")
    if status == "not_met" and category["missing"]:
        return missing_text(category["missing"][0], ruleset, lang)
    for reason in category["reasons"]:
        if reason.get("code") == "experience" and reason.get("met"):
            return _("{have} of work, {needed} needed").format(
                have=texts.years(float(reason["have"])), needed=texts.years(float(reason["years"]))
            )
    return _("met")


def clauses_line(outcome: dict[str, Any]) -> str:
    chapter_paragraph = ""
    clauses: dict[str, None] = {}
    for reason in outcome["position_reasons"]:
        citation = reason["citation"]
        chapter_paragraph = f"{citation['chapter']}, § {citation['paragraph'] or '—'}"
        clauses[str(citation["clause"])] = None
    for category in outcome["categories"]:
        for citation in category["citations"]:
            clauses[str(citation["clause"])] = None
    return _("Order No. 338, chapter {where}, clauses {clauses}").format(
        where=chapter_paragraph, clauses=", ".join(clauses)
    )


def render_outcome(outcome: dict[str, Any], ruleset: Ruleset, lang: str) -> str:
    position = ruleset.positions[outcome["position"]]
    eligibility = {
        "yes": _("You meet the qualification requirements of the position."),
        "no": _("You do not meet the qualification requirements of the position."),
        "unknown": _("Whether you meet the position's requirements is not yet known."),
    }[outcome["eligible_for_position"]]
    lines = [
        f"<b>{escape(position.name.get(lang))}</b>",
        "",
        _("Estimate: <b>{category}</b>").format(
            category=escape(_category(ruleset, outcome["estimate"], lang))
        ),
        _("Ceiling set by education and experience: {category}").format(
            category=escape(_category(ruleset, outcome["ceiling_by_experience"], lang))
        ),
        escape(eligibility),
    ]
    if outcome["categories"]:
        lines.append("")
        for category in outcome["categories"]:
            name = ruleset.category_name(category["id"], lang)
            reason = category_reason(category, ruleset, lang, outcome.get("unknown_answers") or [])
            lines.append(f"{MARKS[category['status']]} {escape(name)} — {escape(reason)}")
    else:
        lines += ["", _("The order gives this position no ladder of categories.")]
    upcoming = outcome.get("next")
    if upcoming and upcoming["missing"]:
        needed = "; ".join(missing_text(m, ruleset, lang) for m in upcoming["missing"][:3])
        lines += [
            "",
            _("For «{category}» you still need: {needed}.").format(
                category=escape(ruleset.category_name(upcoming["category"], lang)),
                needed=escape(needed),
            ),
        ]
    for assumption in outcome["assumptions"]:
        if assumption["code"] == "level_derived":
            level = texts.option_label("qualification_level", assumption["level"], ruleset, lang)
            lines.append(
                _("Qualification level taken as «{level}» from your education.").format(
                    level=level
                )
            )
        elif assumption["code"] == "recent_as_total":
            lines.append(
                _("The text asks for the most recent years; Sanat counted your total years.")
            )
    lines += [
        "",
        f"<i>{escape(clauses_line(outcome))}</i>",
        "",
        f"<i>{escape(outcome['disclaimer'][lang])}</i>",
    ]
    return "\n".join(lines)
