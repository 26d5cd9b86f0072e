"""What the summary says, as plain localized text blocks; ``pdf.py`` only lays them out.

The labels use the same catalog messages as the bot's result screen (same msgids, so one
translation serves both); the legal content -- names, citations, verbatim clauses, notes and the
disclaimer -- comes from the rules data, never from here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from backend.rules.clauses import packaged_clauses
from backend.rules.loader import Ruleset

DOMAIN = "messages"
LANGUAGES = ("kk", "ru", "en")
QUOTE_LIMIT = 400


@functools.cache
def translations(locales_dir: Path, language: str) -> NullTranslations:
    return Translations.load(locales_dir, [language], DOMAIN)


@dataclass
class Block:
    """A heading with paragraphs under it; ``quote`` paragraphs are verbatim legal text."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    quote: bool = False


@dataclass
class Summary:
    title: str
    subtitle: str
    blocks: list[Block]
    disclaimer: str
    footer: str  # on every page: ruleset and date
    cited_clauses: list[str]  # every clause number the outcome cites, for checking


class _Texts:
    """gettext in one language, with the helpers the result screen uses."""

    def __init__(self, tr: NullTranslations, ruleset: Ruleset, lang: str) -> None:
        self.gettext: Callable[[str], str] = tr.gettext
        self.ngettext: Callable[[str, str, int], str] = tr.ngettext
        self.ruleset = ruleset
        self.lang = lang

    def category(self, category: str | None) -> str:
        _ = self.gettext
        return self.ruleset.category_name(category, self.lang) if category else _("none yet")  # type: ignore[arg-type]

    def years(self, value: float) -> str:
        _ = self.gettext
        shown = f"{value:g}".replace(".", ",")
        if int(value) != value:
            return _("{years} years (fraction)").format(years=shown)
        return self.ngettext("{years} year", "{years} years", int(value)).format(years=shown)

    def experience_kind(self, kind: str) -> str:
        _ = self.gettext
        kinds = {
            "pedagogical": _("pedagogical work"),
            "specialty": _("work in your specialty"),
            "position": _("work in this very position"),
            "organisation_type": _("work in organisations of this kind"),
            "management": _("work as head or deputy head of an education organisation"),
            "civil_service": _("civil service in education"),
            "industry": _("work at an enterprise of the matching profile"),
        }
        return kinds.get(kind, kind)

    def fact_label(self, fact: str) -> str:
        _ = self.gettext
        if fact.startswith("experience."):
            return _("Years of {kind}").format(kind=self.experience_kind(fact.split(".")[1]))
        if fact.startswith("competencies."):
            return _("Requirements for «{category}»").format(
                category=self.category(fact.split(".")[1])
            )
        labels = {
            "education": _("What is your education?"),
            "education_pedagogical": _(
                "Is your education pedagogical, or in the profile of this position?"
            ),
            "pedagogical_retraining": _("Do you hold a document of pedagogical retraining?"),
            "qualification_level": _("What is your qualification level?"),
            "locality": _("Where is your organisation?"),
            "centre_level": _("What level is your methodological centre?"),
            "academic_degree": _("Do you hold an academic degree?"),
            "current_category": _("Which qualification category do you hold now?"),
            "variant": _("Which of these describes your post?"),
        }
        return labels.get(fact, fact)

    def option(self, fact: str, option: str) -> str:
        _ = self.gettext
        if fact == "current_category":
            return _("None") if option == "none" else self.category(option)
        labels = {
            "postgraduate": _("Postgraduate (master's, doctorate)"),
            "higher": _("Higher"),
            "tvet": _("Technical and vocational (college)"),
            "general_secondary": _("General secondary"),
            "high": _("High"),
            "medium": _("Medium"),
            "urban": _("In a town"),
            "rural": _("In a village"),
            "regional": _("Region, city of republican significance or the capital"),
            "district": _("District or city of regional significance"),
            "general": _("None of these (the general case)"),
        }
        return labels.get(option, option)

    def answer(self, fact: str, value: object) -> str:
        _ = self.gettext
        if value == "unknown":
            return _("I don't know")
        if value is True:
            return _("Yes")
        if value is False:
            return _("No")
        if fact.startswith("experience.") and isinstance(value, int | float):
            return self.years(float(value))
        if fact.startswith("competencies."):
            if value == "all":
                return _("all of them")
            if value == "none":
                return _("none of them")
            items = [str(item).lstrip("c") for item in value] if isinstance(value, list) else []
            return ", ".join(items) or _("none of them")
        return self.option(fact, str(value))

    def missing(self, missing: dict[str, Any]) -> str:
        _ = self.gettext
        kind = missing.get("kind")
        if kind == "experience":
            return _("{years} more of {kind}").format(
                years=self.years(float(missing["short_by"])),
                kind=self.experience_kind(missing["experience"]),
            )
        if kind == "level":
            return _("a high qualification level")
        if kind == "competencies":
            items = ", ".join(str(item).lstrip("c") for item in missing["items"])
            return self.ngettext(
                "requirement {items} of «{category}» not ticked",
                "requirements {items} of «{category}» not ticked",
                len(missing["items"]),
            ).format(items=items, category=self.category(missing["category"]))
        if kind == "fact":
            return _("an answer you have not given yet") + f" ({self.fact_label(missing['fact'])})"
        return _("the position's qualification requirements")

    def status(self, status: str) -> str:
        _ = self.gettext
        return {
            "met": _("met"),
            "not_met": _("not met"),
            "unknown": _("not known yet"),
            "not_provided": _("the text of the order gives no route to it"),
            "undetermined": _("undetermined: the text is unclear"),
            "yes": _("met"),
            "no": _("not met"),
        }.get(status, status)

    def citation(self, citation: dict[str, Any]) -> str:
        _ = self.gettext
        lines = citation.get("lines") or ["?", "?"]
        return _(
            "Order No. {act}, chapter {chapter}, § {paragraph}, clause {clause}, "
            "seed lines {first}–{last}"
        ).format(
            act=citation.get("act", "338"),
            chapter=citation.get("chapter") or "—",
            paragraph=citation.get("paragraph") or "—",
            clause=citation.get("clause") or "—",
            first=lines[0],
            last=lines[1],
        )


def _flatten(answers: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    for key, value in answers.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                yield f"{key}.{sub}", inner
        else:
            yield key, value


def _category_paragraphs(t: _Texts, category: dict[str, Any]) -> list[str]:
    _ = t.gettext
    out = [f"{t.category(category['id'])}: {t.status(category['status'])}"]
    note = category.get("note") or {}
    if category["status"] == "undetermined" and note.get("quote"):
        out.append("  " + _("the text is garbled here: «{quote}»").format(quote=note["quote"]))
    for reason in category.get("reasons", []):
        if reason.get("code") == "experience" and reason.get("have") is not None:
            out.append(
                "  "
                + _("{have} of work, {needed} needed").format(
                    have=t.years(float(reason["have"])), needed=t.years(float(reason["years"]))
                )
            )
    for missing in category.get("missing", []):
        out.append("  − " + t.missing(missing))
    for citation in category.get("citations", []):
        out.append("  " + t.citation(citation))
    return out


def _assumptions(t: _Texts, outcome: dict[str, Any]) -> list[str]:
    _ = t.gettext
    out: list[str] = []
    for assumption in outcome.get("assumptions", []):
        if assumption.get("code") == "level_derived":
            level = t.option("qualification_level", assumption["level"])
            out.append(
                _("Qualification level taken as «{level}» from your education.").format(
                    level=level
                )
            )
        elif assumption.get("code") == "recent_as_total":
            out.append(
                _("The text asks for the most recent years; Sanat counted your total years.")
            )
    for note in outcome.get("notes", []):
        explanation = note.get("explanation") or {}
        text = explanation.get(t.lang) or explanation.get("ru") or ""
        lines = note.get("lines") or ["?", "?"]
        quote = str(note.get("quote") or "")[:QUOTE_LIMIT]
        out.append(
            _("«{quote}» (seed lines {first}–{last}): {explanation}").format(
                quote=quote, first=lines[0], last=lines[1], explanation=text
            )
        )
    return out


def cited_clauses(outcome: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for reason in outcome.get("position_reasons", []):
        seen[str(reason["citation"]["clause"])] = None
    for category in outcome.get("categories", []):
        for citation in category.get("citations", []):
            seen[str(citation["clause"])] = None
    return [clause for clause in seen if clause not in ("", "None")]


def build_summary(
    *,
    outcome: dict[str, Any],
    answers: dict[str, Any],
    ruleset: Ruleset,
    lang: str,
    locales_dir: Path,
    made_at: dt.datetime,
    tz: dt.tzinfo,
) -> Summary:
    """The summary of one stored assessment in ``lang`` (kk, ru or en)."""
    lang = lang if lang in LANGUAGES else "ru"
    t = _Texts(translations(locales_dir, lang), ruleset, lang)
    _ = t.gettext
    position = ruleset.positions.get(outcome["position"])
    name = position.name.get(lang) if position else outcome["position"]
    eligibility = {
        "yes": _("You meet the qualification requirements of the position."),
        "no": _("You do not meet the qualification requirements of the position."),
        "unknown": _("Whether you meet the position's requirements is not yet known."),
    }[outcome["eligible_for_position"]]
    made = made_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    result = [
        _("Estimate: {category}").format(category=t.category(outcome.get("estimate"))),
        _("Ceiling set by education and experience: {category}").format(
            category=t.category(outcome.get("ceiling_by_experience"))
        ),
        eligibility,
    ]
    upcoming = outcome.get("next")
    if upcoming and upcoming.get("missing"):
        needed = "; ".join(t.missing(m) for m in upcoming["missing"])
        result.append(
            _("For «{category}» you still need: {needed}.").format(
                category=t.category(upcoming["category"]), needed=needed
            )
        )
    blocks = [Block(_("Result"), result)]
    blocks.append(
        Block(
            _("Your answers"),
            [
                f"{t.fact_label(fact)} — {t.answer(fact, value)}"
                for fact, value in _flatten(answers)
            ]
            or [_("none of them")],
        )
    )
    routes = [
        f"{route['label'].get(lang) or route['label'].get('ru', '')}: {t.status(route['status'])}"
        f"\n  {t.citation(route['citation'])}"
        for route in outcome.get("position_reasons", [])
    ]
    blocks.append(Block(_("Requirements of the position"), routes))
    categories = [
        "\n".join(_category_paragraphs(t, category)) for category in outcome.get("categories", [])
    ]
    blocks.append(
        Block(
            _("Categories"),
            categories or [_("The order gives this position no ladder of categories.")],
        )
    )
    assumptions = _assumptions(t, outcome)
    if assumptions:
        blocks.append(Block(_("Assumptions and readings of the text"), assumptions))
    clauses = packaged_clauses().get(outcome["position"], {})
    for part in ("requirements", "competencies"):
        clause = clauses.get(part)
        if clause:
            first, last = clause["lines"]
            blocks.append(
                Block(
                    _("Verbatim, Order No. 338, seed lines {first}–{last}").format(
                        first=first, last=last
                    ),
                    [str(clause["kk"])],
                    quote=True,
                )
            )
    disclaimer = outcome.get("disclaimer") or {}
    meta = _("Made on {made}; the rules as of {as_of}; ruleset {version}").format(
        made=made, as_of=outcome["as_of"], version=outcome["ruleset_version"]
    )
    return Summary(
        title=_("Self-assessment summary"),
        subtitle=f"{outcome['position']} {name}\n{meta}",
        blocks=blocks,
        disclaimer=disclaimer.get(lang) or disclaimer.get("ru") or "",
        footer=f"Sanat · {outcome['ruleset_version']} · {made}",
        cited_clauses=cited_clauses(outcome),
    )
