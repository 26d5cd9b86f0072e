"""Placing labels beside their marks so that no two overlap: pure arithmetic, no drawing.

A label hangs like a flag from a pole at its mark's x: to the right of the pole, or to the left
when the right side is taken or too close to the picture's edge. Rows are tried nearest to the
axis first; a label in a farther row needs its pole to pass no nearer label, and must not sit
on the pole of a label farther out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

POLE_GAP = 8  # pixels between a pole and its label


@dataclass(frozen=True)
class Flag:
    left: float
    width: float
    row: int
    side: Literal["right", "left"]
    anchor: float
    variant: int = 0  # which of the item's widths (the label's longer or shorter form) fitted

    @property
    def right(self) -> float:
        return self.left + self.width


def _crosses(pole: float, flag: Flag) -> bool:
    return flag.left < pole < flag.right


def _clashes(candidate: Flag, placed: Sequence[Flag], gap: float) -> bool:
    for other in placed:
        if other.row == candidate.row:
            if candidate.left < other.right + gap and other.left < candidate.right + gap:
                return True
        elif other.row < candidate.row:
            if _crosses(candidate.anchor, other):
                return True
        elif _crosses(other.anchor, candidate):
            return True
    return False


def _options(anchor: float, widths: Sequence[float], rows: int) -> list[Flag]:
    """Every way to hang one label, in order of preference."""
    return [
        candidate
        for variant, width in enumerate(widths)
        for row in range(rows)
        for candidate in (
            Flag(anchor + POLE_GAP, width, row, "right", anchor, variant),
            Flag(anchor - POLE_GAP - width, width, row, "left", anchor, variant),
        )
    ]


def place_flags(
    items: Sequence[tuple[float, Sequence[float]]],
    *,
    low: float,
    high: float,
    rows: int,
    gap: float = 16,
) -> list[Flag | None]:
    """A flag for each ``(anchor x, widths)`` in priority order, or None where none fits.

    ``widths`` are the label's forms, longest first: a shorter form is used only when the
    longer one fits in no row. Labels stay within ``[low, high]``. Up to ``EXHAUSTIVE`` labels
    (today, the due date, the testing window) are placed together, trying every combination,
    so that one label's choice never leaves another without a place; more (the courses) one by
    one, earlier items getting the nearer rows.
    """
    options = [
        [f for f in _options(anchor, widths, rows) if f.left >= low and f.right <= high]
        for anchor, widths in items
    ]
    if len(items) <= EXHAUSTIVE:
        return _best(options, gap)
    placed: list[Flag] = []
    result: list[Flag | None] = []
    for choices in options:
        chosen = next((f for f in choices if not _clashes(f, placed, gap)), None)
        if chosen is not None:
            placed.append(chosen)
        result.append(chosen)
    return result


EXHAUSTIVE = 3


def _best(options: Sequence[Sequence[Flag]], gap: float) -> list[Flag | None]:
    """The combination placing the most labels, then the earlier labels in their fuller forms
    (the due date before today before the testing window), in the fewest rows."""
    best: list[Flag | None] = [None] * len(options)
    best_score: tuple[int, ...] | None = None

    def score(chosen: Sequence[Flag | None]) -> tuple[int, ...]:
        flags = [f for f in chosen if f is not None]
        return (
            *(0 if f is not None else 1 for f in chosen),
            *(f.variant if f is not None else 0 for f in chosen),
            max((f.row for f in flags), default=0),
            sum(f.row for f in flags),
            sum(f.side == "left" for f in flags),
        )

    def walk(index: int, chosen: list[Flag | None]) -> None:
        nonlocal best, best_score
        if index == len(options):
            current = score(chosen)
            if best_score is None or current < best_score:
                best, best_score = list(chosen), current
            return
        placed = [f for f in chosen if f is not None]
        for flag in options[index]:
            if not _clashes(flag, placed, gap):
                walk(index + 1, [*chosen, flag])
        walk(index + 1, [*chosen, None])

    walk(0, [])
    return best
