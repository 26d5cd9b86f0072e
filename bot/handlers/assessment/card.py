"""The outcome as a result card (backend.pictures.result_card): the same words as the result
message (result_text), set out as a picture to keep or share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.utils.i18n import gettext as _

from backend.courses.validation import format_date
from backend.pictures.result_card import ResultCard, Step
from backend.rules.loader import Ruleset
from bot.handlers.assessment.result_text import category_reason, clauses_line


def _category(ruleset: Ruleset, category: str | None, lang: str) -> str:
    return ruleset.category_name(category, lang) if category else _("none yet")  # type: ignore[arg-type]


def result_card(outcome: dict[str, Any], ruleset: Ruleset, lang: str) -> ResultCard:
    verdict = outcome["eligible_for_position"]
    verdict_text = {
        "yes": _("You meet the qualification requirements of the position."),
        "no": _("You do not meet the qualification requirements of the position."),
        "unknown": _("Whether you meet the position's requirements is not yet known."),
    }[verdict]
    as_of = dt.date.fromisoformat(str(outcome["as_of"]))
    rules = _("Rules version {version}, in force since {date}").format(
        version=ruleset.version, date=format_date(ruleset.meta.valid_from)
    )
    return ResultCard(
        heading=_("Self-assessment result, {date}").format(date=format_date(as_of)),
        position=ruleset.positions[outcome["position"]].name.get(lang),
        estimate_label=_("Estimate"),
        estimate=_category(ruleset, outcome["estimate"], lang),
        estimated=outcome["estimate"] is not None,
        ceiling=_("Ceiling set by education and experience: {category}").format(
            category=_category(ruleset, outcome["ceiling_by_experience"], lang)
        ),
        verdict=verdict,
        verdict_text=verdict_text,
        ladder_heading=_("Categories"),
        steps=[
            Step(
                name=ruleset.category_name(category["id"], lang),
                status=category["status"],
                note=category_reason(category, ruleset, lang),
            )
            for category in outcome["categories"]
        ],
        no_ladder=_("The order gives this position no ladder of categories."),
        ruleset=f"{rules}. {clauses_line(outcome)}",
        disclaimer=outcome["disclaimer"][lang],
    )
