"""The amended items of profession cards 3, 4 and 5 (``data/cards.yaml``), loaded and checked.

The kk text of each item is verbatim from seed 000 (tests check it word for word); ru is a
working translation. Each item cites its card, labour function, skill and line range.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).parent / "data" / "cards.yaml"
SCALE: Final = (0, 1, 2, 3)  # not yet / partly / confident / can teach others
STRONG_FROM: Final = 2  # confident or better is a strength; below is an area to develop


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Act(_Strict):
    kk: str
    ru: str
    short: str
    file: str
    effective: str


class Card(_Strict):
    card: int
    lines: tuple[int, int]
    kk: str
    ru: str
    en: str
    note: str | None = None

    def title(self, language: str) -> str:
        return {"kk": self.kk, "ru": self.ru}.get(language, self.en)


class Function(_Strict):
    number: int
    kk: str
    ru: str


class Skill(_Strict):
    function: int
    number: int
    kk: str
    ru: str


class Item(_Strict):
    id: str
    card: int
    function: int
    skill: int
    kind: Literal["ability", "knowledge"]
    number: int
    lines: tuple[int, int]
    kk: str
    ru: str
    note: str | None = None

    def text(self, language: str) -> str:
        return self.kk if language == "kk" else self.ru


class CardCatalog(_Strict):
    act: Act
    amended_ranges: tuple[tuple[int, int], ...]
    cards: tuple[Card, ...]
    functions: tuple[Function, ...]
    skills: tuple[Skill, ...]
    items: tuple[Item, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CardCatalog:
        ids = [item.id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate item id")
        cards = {card.card for card in self.cards}
        skills = {(skill.function, skill.number) for skill in self.skills}
        for item in self.items:
            if item.card not in cards or (item.function, item.skill) not in skills:
                raise ValueError(f"{item.id}: unknown card or skill")
            if not any(
                lo <= item.lines[0] and item.lines[1] <= hi for lo, hi in self.amended_ranges
            ):
                raise ValueError(f"{item.id}: outside the amended rows")
        return self

    def card(self, number: int) -> Card | None:
        return next((card for card in self.cards if card.card == number), None)

    def items_of(self, number: int) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.card == number)

    def function(self, number: int) -> Function:
        return next(f for f in self.functions if f.number == number)

    def skill(self, function: int, number: int) -> Skill:
        return next(s for s in self.skills if (s.function, s.number) == (function, number))

    def citation(self, item: Item) -> str:
        """Order, card, labour function, skill and line range of ``item``."""
        return (
            f"{self.act.short}, card {item.card}, labour function {item.function}, "
            f"skill {item.skill}, {self.act.file} lines {item.lines[0]}-{item.lines[1]}"
        )


@functools.cache
def load_cards(path: Path = DATA) -> CardCatalog:
    return CardCatalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
