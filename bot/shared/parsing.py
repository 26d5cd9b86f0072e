"""Typed answers: numbers of years as people write them."""

from __future__ import annotations

import re

MAX_YEARS = 60.0
# "5", "5,5", "5.5", "5 жыл", "5 лет", "5 года", "5 years", "5.5 жыл." — the unit is optional
YEARS = re.compile(
    r"^\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:жыл|жылдан|лет|год|года|г\.?|years?|yrs?|y)?\s*\.?\s*$",
    re.IGNORECASE,
)


class YearsError(ValueError):
    """Why a typed value is not a number of years: ``not_a_number`` or ``too_many``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_years(text: str) -> float:
    match = YEARS.match(text)
    if match is None:
        raise YearsError("not_a_number")
    value = float(match.group(1).replace(",", "."))
    if value > MAX_YEARS:
        raise YearsError("too_many")
    return value
