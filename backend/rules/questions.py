"""What to ask for a missing fact: its kind and choices, built from the rules data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from backend.rules.answers import (
    BOOL_KEYS,
    CENTRE_LEVELS,
    EDUCATIONS,
    LEVELS,
    LOCALITIES,
    NO_CATEGORY,
)
from backend.rules.schema import Condition

if TYPE_CHECKING:
    from backend.rules.compiled import CompiledPosition

QuestionKind = Literal["choice", "boolean", "years", "competencies", "category"]
CHOICES: dict[str, tuple[str, ...]] = {
    "education": EDUCATIONS,
    "qualification_level": LEVELS,
    "locality": LOCALITIES,
    "centre_level": CENTRE_LEVELS,
}
BOOLEANS = BOOL_KEYS


@dataclass(frozen=True, slots=True)
class Question:
    fact: str  # the answers key, e.g. "experience.position" or "competencies.pedagog_expert"
    kind: QuestionKind
    options: tuple[str, ...] = ()
    items: tuple[dict[str, str], ...] = ()  # competency items: id, kk, ru
    remaining: int = 1  # facts still missing, this one included (for "step N of about M")
    option_names: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fact": self.fact, "kind": self.kind, "remaining": self.remaining}
        if self.options:
            data["options"] = list(self.options)
        if self.items:
            data["items"] = list(self.items)
        if self.option_names:
            data["option_names"] = self.option_names
        data["allows_unknown"] = True
        return data


def _held_categories(condition: Condition, found: dict[str, None]) -> None:
    if condition.holds_category:
        found.update(dict.fromkeys(condition.holds_category))
    for child in (condition.all_of or []) + (condition.any_of or []):
        _held_categories(child, found)


def question_for(compiled: CompiledPosition, fact: str, remaining: int) -> Question:
    position = compiled.position
    if fact in CHOICES:
        return Question(fact, "choice", CHOICES[fact], remaining=remaining)
    if fact in BOOLEANS:
        return Question(fact, "boolean", remaining=remaining)
    if fact.startswith("experience."):
        return Question(fact, "years", remaining=remaining)
    if fact == "variant":
        names = {v.id: v.name.model_dump(exclude_none=True) for v in position.entry.variants}
        return Question(
            fact, "choice", ("general", *names), remaining=remaining, option_names=names
        )
    if fact == "current_category":
        found: dict[str, None] = {}
        for route in position.entry.routes:
            _held_categories(route.condition, found)
        return Question(fact, "category", (*found, NO_CATEGORY), remaining=remaining)
    if fact.startswith("competencies."):
        category_id = fact.split(".", 1)[1]
        for category in position.ladder.categories if position.ladder else ():
            if category.id == category_id and category.competencies:
                items = tuple(
                    {"id": item.id, "kk": item.kk, "ru": item.ru}
                    | ({"optional": "true"} if item.optional else {})
                    for item in category.competencies.items
                )
                return Question(fact, "competencies", remaining=remaining, items=items)
    raise ValueError(f"no question for fact {fact!r} of position {position.id}")
