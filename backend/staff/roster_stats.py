"""Figures behind the console's charts: the share of a roster with a valid course month by
month, by position, and the spread of categories.

A teacher counts as valid at a month's end when their latest known course date is on or before
it and its due date (the refresher period of the rules data) is after it. Only the latest date
is known for a roster entry, so for the months before a newer course the share is a lower
bound; the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from backend.staff.roster_view import RosterRow

MONTHS = 24


@dataclass(frozen=True)
class Share:
    label: str
    valid: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.valid / self.total, 1) if self.total else 0.0


def _month_ends(today: dt.date, months: int) -> list[dt.date]:
    ends = []
    year, month = today.year, today.month
    for _ in range(months):
        first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
        ends.append(min(first_of_next - dt.timedelta(days=1), today))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(ends))


def valid_by_month(rows: list[RosterRow], today: dt.date, months: int = MONTHS) -> list[Share]:
    shares = []
    for end in _month_ends(today, months):
        valid = sum(
            1
            for row in rows
            if row.last_course_on and row.due_on and row.last_course_on <= end < row.due_on
        )
        shares.append(Share(end.strftime("%m.%Y"), valid, len(rows)))
    return shares


def valid_by_position(rows: list[RosterRow]) -> list[Share]:
    totals: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    for row in rows:
        key = row.position_id or "—"
        totals[key] += 1
        valid[key] += row.status in ("valid", "due_soon")
    return [Share(key, valid[key], totals[key]) for key in sorted(totals)]


def category_spread(rows: list[RosterRow]) -> list[tuple[str, int]]:
    return Counter(row.category or "" for row in rows).most_common()
