"""The self-assessment result as a card to keep or share: the position, the estimate and its
ceiling, the category ladder with a mark per step, the ruleset and the disclaimer.

Every text arrives translated; long texts (Kazakh position names run to several lines) wrap
between words and are never cut. The card is as tall as its content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backend.pictures.canvas import Canvas, Weight
from backend.pictures.style import (
    BODY_PX,
    INK,
    LINE,
    MARGIN,
    MUTED,
    OVERDUE,
    PAPER,
    RULE,
    SMALL_PX,
    TITLE_PX,
    UNKNOWN,
    VALID,
    WIDTH,
    Colour,
    tint,
)

StepStatus = Literal["met", "not_met", "unknown", "not_provided", "undetermined"]
Verdict = Literal["yes", "no", "unknown"]

# The same marks as the result message (bot.result_text.MARKS), each on its own colour.
MARKS: dict[StepStatus, tuple[str, Colour]] = {
    "met": ("✓", VALID),
    "not_met": ("✗", OVERDUE),
    "unknown": ("?", UNKNOWN),
    "not_provided": ("—", MUTED),
    "undetermined": ("~", MUTED),
}
VERDICT_COLOUR: dict[Verdict, Colour] = {"yes": VALID, "no": OVERDUE, "unknown": UNKNOWN}
MARK_PX = 44  # the mark's disc
TEXT_LEFT = MARGIN + MARK_PX + 20  # where a step's name starts
MAX_HEIGHT = 4000  # Telegram takes photos up to 10 000 px in width and height together


@dataclass(frozen=True)
class Step:
    name: str
    status: StepStatus
    note: str  # why: what is met, what is missing, what is unclear in the text


@dataclass(frozen=True)
class ResultCard:
    heading: str  # "Self-assessment result, 04.12.2026"
    position: str
    estimate_label: str  # "Estimate"
    estimate: str  # the category, or "none yet"
    estimated: bool  # whether there is a category: the box is green, or grey for "none yet"
    ceiling: str  # the sentence naming the ceiling set by education and experience
    verdict: Verdict  # whether the position's own requirements are met
    verdict_text: str
    ladder_heading: str  # "Categories"
    steps: Sequence[Step]
    no_ladder: str  # said instead of the ladder when the position has none
    ruleset: str  # "Rules version …, in force since …; order No. 338"
    disclaimer: str


class _Flow:
    """Blocks of text laid top to bottom on a canvas whose height is fixed at the end."""

    def __init__(self, canvas: Canvas, top: float) -> None:
        self.canvas = canvas
        self.y = top

    def lines(
        self,
        text: str,
        *,
        size: int,
        left: float = MARGIN,
        weight: Weight = "normal",
        colour: Colour = INK,
    ) -> float:
        """Draw ``text`` wrapped to the card's width; returns the top of its first line."""
        top = self.y
        for line in self.canvas.wrap(text, WIDTH - MARGIN - left, size, weight):
            self.canvas.text(left, self.y, line, size=size, weight=weight, colour=colour)
            self.y += round(size * LINE)
        return top

    def gap(self, pixels: float) -> None:
        self.y += pixels


def draw_result_card(card: ResultCard) -> Canvas:
    canvas = Canvas(WIDTH, MAX_HEIGHT)
    flow = _Flow(canvas, MARGIN - 8)
    flow.lines(card.heading, size=SMALL_PX, colour=MUTED)
    flow.gap(6)
    flow.lines(card.position, size=TITLE_PX, weight="bold")
    flow.gap(20)

    box_top = flow.y
    flow.gap(16)
    flow.lines(card.estimate_label, size=SMALL_PX, left=MARGIN + 20, colour=MUTED)
    flow.lines(card.estimate, size=TITLE_PX, left=MARGIN + 20, weight="bold")
    flow.gap(4)
    flow.lines(card.ceiling, size=SMALL_PX, left=MARGIN + 20)
    flow.gap(16)
    accent = VALID if card.estimated else MUTED
    canvas.box(MARGIN, box_top, WIDTH - 2 * MARGIN, flow.y - box_top, tint(accent, 0.12), zorder=1)
    canvas.box(MARGIN, box_top, 6, flow.y - box_top, accent, zorder=1.5)
    flow.gap(18)
    flow.lines(card.verdict_text, size=BODY_PX, weight="bold", colour=VERDICT_COLOUR[card.verdict])
    flow.gap(20)

    flow.lines(card.ladder_heading, size=BODY_PX, weight="bold")
    flow.gap(10)
    if not card.steps:
        flow.lines(card.no_ladder, size=SMALL_PX, colour=MUTED)
    middles: list[float] = []
    for step in card.steps:
        mark, colour = MARKS[step.status]
        top = flow.lines(step.name, size=BODY_PX, left=TEXT_LEFT, weight="bold")
        middle = top + BODY_PX * LINE / 2
        middles.append(middle)
        canvas.dot(MARGIN + MARK_PX / 2, middle, MARK_PX / 2, colour, edge=colour)
        canvas.text(
            MARGIN + MARK_PX / 2,
            middle,
            mark,
            size=BODY_PX,
            weight="bold",
            colour=PAPER,
            ha="center",
            va="center",
            zorder=6,
        )
        if step.note:
            flow.lines(step.note, size=SMALL_PX, left=TEXT_LEFT, colour=MUTED)
        flow.gap(14)

    if len(middles) > 1:  # the steps hang on one rail: a ladder, climbed from the top
        rail = MARGIN + MARK_PX / 2
        canvas.line([rail, rail], [middles[0], middles[-1]], RULE, width=4, zorder=3)
    flow.gap(6)
    canvas.line([MARGIN, WIDTH - MARGIN], [flow.y, flow.y], RULE, width=2)
    flow.gap(16)
    flow.lines(card.ruleset, size=SMALL_PX, colour=MUTED)
    flow.gap(8)
    flow.lines(card.disclaimer, size=SMALL_PX, colour=MUTED)
    canvas.set_height(min(round(flow.y + MARGIN - 10), MAX_HEIGHT))
    return canvas


def render_result_card(card: ResultCard) -> bytes:
    """The card as PNG bytes (960 px wide); CPU-bound: run it off the event loop."""
    return draw_result_card(card).png()
