"""Annex 2 of Order 400 as data (``data/umo.yaml``) and the duties of a UMO secretary."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict

DATA = Path(__file__).parent / "data" / "umo.yaml"
SECRETARY_ROLE: Final = "umo_secretary"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Act(_Strict):
    number: str
    date: dt.date
    file: str
    date_reading: str


class MonthDay(_Strict):
    month: int
    day: int

    def in_year(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)


class Duty(_Strict):
    id: str
    lines: tuple[int, int]
    kk: str
    ru: str
    remind: MonthDay
    remind_again: MonthDay | None = None
    deadline: MonthDay | None = None
    also_on_deadline: bool = False
    assumption: str | None = None

    def reminder_days(self, year: int) -> list[dt.date]:
        days = [self.remind.in_year(year)]
        if self.remind_again is not None:
            days.append(self.remind_again.in_year(year))
        if self.also_on_deadline and self.deadline is not None:
            days.append(self.deadline.in_year(year))
        return days


class Umo(_Strict):
    direction: str
    name: str
    field: str
    base: str
    scope: str | None = None
    line: int
    doubtful: str | None = None


class UmoDirectory(_Strict):
    act: Act
    duties: tuple[Duty, ...]
    umos: tuple[Umo, ...]

    def for_direction(self, code: str) -> tuple[Umo, ...]:
        return tuple(umo for umo in self.umos if umo.direction == code)

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(umo.direction for umo in self.umos))


@functools.cache
def load_directory(path: Path = DATA) -> UmoDirectory:
    return UmoDirectory.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
