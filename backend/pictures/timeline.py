"""The course timeline: a calendar bar with the current three-year cycle, the courses, today,
the due date and the next national testing window, explained by its own words.

The bar's years run left to right; the cycle from the last course to the due date is green,
its last ``soon_days`` orange, and the time since the due date red. Today, the due date and the
testing window hang their labels above the bar, the courses theirs below (``layout``), so no
two labels overlap however close the dates are. The headline says the state in a sentence in
the status colour. The span is at most ``MAX_YEARS`` back from its end: older courses no longer
matter for the cycle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backend.pictures.canvas import Canvas, HAlign
from backend.pictures.catalog import Catalog
from backend.pictures.layout import Flag, place_flags
from backend.pictures.style import (
    BAR,
    BODY_PX,
    COURSE,
    INK,
    LINE,
    MARGIN,
    MUTED,
    OVERDUE,
    PAPER,
    SMALL_PX,
    SOON,
    TESTING,
    TITLE_PX,
    VALID,
    WIDTH,
    Colour,
    tint,
)

SOON_DAYS = 90
MAX_YEARS = 12
# A course title's widths, tried in turn where labels crowd; beyond, its end becomes "…".
COURSE_TITLE_FORMS_PX = (340, 200)
ROWS = 3  # label rows above and below the bar

BAR_PX = 44
LABEL_PX = round(SMALL_PX * LINE + SMALL_PX * LINE)  # a label's two lines
ROW_PX = LABEL_PX + 8
POLE_PX = 14  # from the bar's edge to the nearest row

State = Literal["valid", "soon", "overdue"]


@dataclass(frozen=True)
class Course:
    completed_on: dt.date
    title: str


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class TimelineData:
    courses: Sequence[Course]
    due: dt.date | None
    today: dt.date
    testing: Window | None = None
    soon_days: int = SOON_DAYS


@dataclass(frozen=True)
class TimelineLabels:
    title: str
    status: str  # one sentence: when the next course is due, how many days are left or late
    today: str
    due: str
    testing: str
    course: str
    valid: str
    soon: str
    overdue: str


def due_state(due: dt.date, today: dt.date, soon_days: int = SOON_DAYS) -> State:
    days = (due - today).days
    if days < 0:
        return "overdue"
    if days <= soon_days:
        return "soon"
    return "valid"


STATE_COLOUR: dict[State, Colour] = {"valid": VALID, "soon": SOON, "overdue": OVERDUE}


def due_colour(due: dt.date, today: dt.date, soon_days: int = SOON_DAYS) -> Colour:
    """Red when overdue, orange within ``soon_days``, green otherwise."""
    return STATE_COLOUR[due_state(due, today, soon_days)]


def format_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def format_window(window: Window) -> str:
    if window.start.year == window.end.year:
        return f"{window.start:%d.%m}–{format_date(window.end)}"
    return f"{format_date(window.start)}–{format_date(window.end)}"


def timeline_labels(catalog: Catalog, data: TimelineData) -> TimelineLabels:
    """The picture's words in the catalog's language."""
    _ = catalog.gettext
    ngettext = catalog.ngettext
    status = ""
    if data.due is not None:
        days = (data.due - data.today).days
        when = format_date(data.due)
        if days > 0:
            status = ngettext(
                "Next course due by {date}: {n} day left",
                "Next course due by {date}: {n} days left",
                days,
            ).format(date=when, n=days)
        elif days == 0:
            status = _("Next course due today, {date}").format(date=when)
        else:
            status = ngettext(
                "Course overdue since {date}: {n} day late",
                "Course overdue since {date}: {n} days late",
                -days,
            ).format(date=when, n=-days)
    return TimelineLabels(
        title=_("My refresher courses"),
        status=status,
        today=_("Today"),
        due=_("Due date"),
        testing=_("National testing"),
        course=_("course"),
        valid=_("valid"),
        soon=ngettext(
            "last {n} day before the due date", "last {n} days before the due date", data.soon_days
        ).format(n=data.soon_days),
        overdue=_("overdue"),
    )


@dataclass(frozen=True)
class _Label:
    anchor: dt.date
    head: str
    tails: tuple[str, ...]  # the second line's forms, longest first, tried in turn for room
    colour: Colour


class _Scale:
    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start, self.end = start, end
        self.days = max((end - start).days, 1)

    def x(self, day: dt.date) -> float:
        day = min(max(day, self.start), self.end)
        return MARGIN + (day - self.start).days * (WIDTH - 2 * MARGIN) / self.days


def _span(data: TimelineData, courses: Sequence[Course]) -> tuple[dt.date, dt.date]:
    days = [data.today, *(c.completed_on for c in courses)]
    if data.due is not None:
        days.append(data.due)
    if data.testing is not None:
        days += [data.testing.start, data.testing.end]
    first, last = min(days), max(days)
    margin = dt.timedelta(days=max(45, (last - first).days // 25))
    return first - margin, last + margin


def _recent(data: TimelineData) -> list[Course]:
    """The courses within ``MAX_YEARS`` of the latest date shown, newest first."""
    latest = max([data.today, *([data.due] if data.due else [])])
    since = latest.replace(year=latest.year - MAX_YEARS)
    kept = [c for c in data.courses if c.completed_on >= since]
    return sorted(kept, key=lambda c: (c.completed_on, c.title), reverse=True)


def draw_timeline(data: TimelineData, labels: TimelineLabels) -> Canvas:
    courses = _recent(data)
    start, end = _span(data, courses)
    scale = _Scale(start, end)
    canvas = Canvas(WIDTH, 600)  # the height is set once the rows are known

    above = _markers(data, labels)
    below = [
        _Label(c.completed_on, format_date(c.completed_on), _title_forms(canvas, c.title), COURSE)
        for c in courses
    ]
    flags_above = _place(canvas, scale, above)
    flags_below = _place(canvas, scale, below)
    rows_above = 1 + max((f.row for f in flags_above if f), default=0)
    rows_below = 1 + max((f.row for f in flags_below if f), default=0)

    top = MARGIN - 12
    canvas.text(MARGIN, top, labels.title, size=TITLE_PX, weight="bold")
    top += round(TITLE_PX * LINE) + 4
    if labels.status:
        colour = STATE_COLOUR[due_state(data.due, data.today, data.soon_days)] if data.due else INK
        for line in canvas.wrap(labels.status, WIDTH - 2 * MARGIN, BODY_PX, "bold"):
            canvas.text(MARGIN, top, line, size=BODY_PX, weight="bold", colour=colour)
            top += round(BODY_PX * LINE)
    bar_top = top + 16 + rows_above * ROW_PX + POLE_PX
    bar_bottom = bar_top + BAR_PX

    _draw_bar(canvas, scale, data, courses, bar_top)
    for label, flag in zip(above, flags_above, strict=True):
        if flag is not None:
            row_top = bar_top - POLE_PX - LABEL_PX - flag.row * ROW_PX
            _draw_flag(canvas, scale, label, flag, pole_from=bar_top - 10, row_top=row_top)
            x = scale.x(label.anchor)
            canvas.polygon(
                [(x - 10, bar_top - 12), (x + 10, bar_top - 12), (x, bar_top + 4)], label.colour
            )
    for label, flag in zip(below, flags_below, strict=True):
        x = scale.x(label.anchor)
        canvas.dot(x, bar_bottom, 9, COURSE)
        if flag is not None:
            row_top = bar_bottom + POLE_PX + flag.row * ROW_PX
            _draw_flag(canvas, scale, label, flag, pole_from=bar_bottom, row_top=row_top)

    legend_top = bar_bottom + POLE_PX + rows_below * ROW_PX + 12
    height = _draw_legend(canvas, data, labels, legend_top) + MARGIN - 12
    canvas.set_height(height)
    return canvas


def render_timeline(data: TimelineData, labels: TimelineLabels) -> bytes:
    """The timeline as PNG bytes (960 px wide); CPU-bound: run it off the event loop."""
    return draw_timeline(data, labels).png()


def _markers(data: TimelineData, labels: TimelineLabels) -> list[_Label]:
    """The labels above the bar, the most important first: it gets the row nearest the bar."""
    found: list[_Label] = []
    if data.due is not None:
        colour = due_colour(data.due, data.today, data.soon_days)
        found.append(_Label(data.due, labels.due, (format_date(data.due),), colour))
    found.append(_Label(data.today, labels.today, (format_date(data.today),), INK))
    if data.testing is not None:
        found.append(
            _Label(data.testing.start, labels.testing, (format_window(data.testing),), TESTING)
        )
    return found


def _title_forms(canvas: Canvas, title: str) -> tuple[str, ...]:
    """A course's title as long as it may be, shorter, and none: its date alone still marks it."""
    forms = [canvas.shorten(title, width, SMALL_PX) for width in COURSE_TITLE_FORMS_PX]
    return (*dict.fromkeys(forms), "")


def _place(canvas: Canvas, scale: _Scale, labels: Sequence[_Label]) -> list[Flag | None]:
    items = []
    for label in labels:
        head = canvas.measure(label.head, SMALL_PX, "bold")
        widths = [max(head, canvas.measure(tail, SMALL_PX)) for tail in label.tails]
        items.append((scale.x(label.anchor), widths))
    return place_flags(items, low=MARGIN / 2, high=WIDTH - MARGIN / 2, rows=ROWS)


def _draw_flag(
    canvas: Canvas, scale: _Scale, label: _Label, flag: Flag, *, pole_from: float, row_top: float
) -> None:
    x = scale.x(label.anchor)
    # the pole runs the whole height of its label, beside it like a flag's
    pole_to = row_top + LABEL_PX if row_top > pole_from else row_top
    canvas.line([x, x], [pole_from, pole_to], label.colour, width=2, zorder=3)
    ha: HAlign = "left" if flag.side == "right" else "right"
    at = flag.left if flag.side == "right" else flag.right
    canvas.text(at, row_top, label.head, size=SMALL_PX, weight="bold", colour=label.colour, ha=ha)
    tail = label.tails[flag.variant]
    if tail:
        tail_colour = MUTED if label.colour in (INK, COURSE) else label.colour
        canvas.text(
            at,
            row_top + round(SMALL_PX * LINE),
            tail,
            size=SMALL_PX,
            colour=tail_colour,
            ha=ha,
        )


def _draw_bar(
    canvas: Canvas, scale: _Scale, data: TimelineData, courses: Sequence[Course], top: float
) -> None:
    left, right = scale.x(scale.start), scale.x(scale.end)
    canvas.box(left, top, right - left, BAR_PX, BAR, zorder=1)

    def segment(first: dt.date, last: dt.date, colour: Colour) -> None:
        x0, x1 = scale.x(first), scale.x(last)
        if x1 > x0:
            canvas.box(x0, top, x1 - x0, BAR_PX, colour, zorder=1.5)

    if data.due is not None and courses:
        last = courses[0].completed_on
        soon_from = max(last, data.due - dt.timedelta(days=data.soon_days))
        segment(last, soon_from, tint(VALID))
        segment(soon_from, data.due, tint(SOON))
        if data.today > data.due:
            segment(data.due, data.today, tint(OVERDUE))
    if data.testing is not None:
        x0, x1 = scale.x(data.testing.start), scale.x(data.testing.end)
        canvas.box(x0, top, max(x1 - x0, 6), BAR_PX, tint(TESTING, 0.6), zorder=1.6)

    year = scale.start.year + 1
    while dt.date(year, 1, 1) <= scale.end:
        x = scale.x(dt.date(year, 1, 1))
        canvas.line([x, x], [top, top + BAR_PX], PAPER, width=2, zorder=1.8)
        year += 1
    for year in range(scale.start.year, scale.end.year + 1):
        x0 = scale.x(max(dt.date(year, 1, 1), scale.start))
        x1 = scale.x(min(dt.date(year + 1, 1, 1), scale.end))
        if x1 - x0 >= canvas.measure(str(year), SMALL_PX) + 12:
            canvas.text(
                (x0 + x1) / 2,
                top + BAR_PX / 2,
                str(year),
                size=SMALL_PX,
                colour=INK,
                ha="center",
                va="center_baseline",
            )


def _draw_legend(canvas: Canvas, data: TimelineData, labels: TimelineLabels, top: float) -> int:
    """The key to the bar's colours, in as many lines as it needs; returns its bottom."""
    entries: list[tuple[str, Colour, str]] = [
        ("box", tint(VALID), labels.valid),
        ("box", tint(SOON), labels.soon),
        ("box", tint(OVERDUE), labels.overdue),
        ("dot", COURSE, labels.course),
    ]
    if data.testing is not None:
        entries.append(("box", tint(TESTING, 0.6), labels.testing))
    x, line_px = float(MARGIN), round(SMALL_PX * LINE) + 6
    for kind, colour, text in entries:
        width = 30 + canvas.measure(text, SMALL_PX)
        if x > MARGIN and x + width > WIDTH - MARGIN:
            x, top = float(MARGIN), top + line_px
        middle = top + SMALL_PX * LINE / 2
        if kind == "box":
            canvas.box(x, middle - 10, 22, 20, colour, zorder=2)
        else:
            canvas.dot(x + 11, middle, 9, colour)
        canvas.text(x + 30, middle, text, size=SMALL_PX, colour=MUTED, va="center_baseline")
        x += width + 28
    return round(top + line_px)
