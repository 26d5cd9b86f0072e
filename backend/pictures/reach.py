"""A broadcast's reach for its curator: the totals, the deliveries over time, and per group
(organisation or region).

Three outcomes in three colours everywhere: sent (green), blocked the bot (orange), failed
(red). The time chart stacks their running totals, so its top edge is how many recipients had
been tried by then; the bars show the largest groups, the rest summed up as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backend.pictures.canvas import Canvas, HAlign
from backend.pictures.catalog import Catalog
from backend.pictures.style import (
    BODY_PX,
    INK,
    LINE,
    MARGIN,
    MUTED,
    OVERDUE,
    RULE,
    SMALL_PX,
    SOON,
    TITLE_PX,
    VALID,
    WIDTH,
    rgb,
)

MAX_GROUPS = 8  # bars drawn; the smaller groups are summed into one more
GROUP_NAME_PX = 300
CHART_PX = 300
BAR_PX = 30
BAR_ROW_PX = 46
TICK_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
SENT, BLOCKED, FAILED = VALID, SOON, OVERDUE


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    blocked: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.blocked + self.failed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent, self.blocked + other.blocked, self.failed + other.failed
        )


@dataclass(frozen=True)
class ReachPoint:
    at: dt.datetime  # local time: the labels show it as it is
    counts: Counts  # running totals up to ``at``


@dataclass(frozen=True)
class ReachGroup:
    name: str
    counts: Counts


@dataclass(frozen=True)
class ReachData:
    points: Sequence[ReachPoint]
    groups: Sequence[ReachGroup]
    recipients: int  # everyone the broadcast was for, tried or not (cancelled, still waiting)


@dataclass(frozen=True)
class ReachLabels:
    title: str  # "Broadcast #12: reach"
    subtitle: str  # when it ran, how many recipients
    sent: str
    blocked: str
    failed: str
    over_time: str  # "Deliveries over time"
    by_group: str  # "By organisation" or "By region"
    others: str  # "{n} more" for the summed-up rest, already formatted


def format_count(n: int) -> str:
    return f"{n:,}".replace(",", " ")  # a space between thousands reads in kk, ru and en alike


def share(count: int, whole: int) -> str:
    """A whole percentage; "<1%" rather than a "0%" that would hide a few failures."""
    percent = round(100 * count / whole) if whole else 0
    return "<1%" if count and percent == 0 else f"{percent}%"


def _when(start: dt.datetime, end: dt.datetime) -> str:
    if start.date() == end.date():
        return f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}"
    return f"{start:%d.%m.%Y %H:%M}–{end:%d.%m.%Y %H:%M}"


def reach_labels(
    catalog: Catalog,
    data: ReachData,
    *,
    broadcast_id: int,
    grouping: Literal["organisation", "region"],
) -> ReachLabels:
    """The chart's words in the catalog's language."""
    _ = catalog.gettext
    ngettext = catalog.ngettext
    recipients = ngettext("{n} recipient", "{n} recipients", data.recipients).format(
        n=format_count(data.recipients)
    )
    subtitle = (
        f"{_when(data.points[0].at, data.points[-1].at)} · {recipients}"
        if data.points
        else recipients
    )
    rest = max(len(data.groups) - MAX_GROUPS, 0)
    return ReachLabels(
        title=_("Broadcast #{id}: reach").format(id=broadcast_id),
        subtitle=subtitle,
        sent=_("Delivered"),
        blocked=_("Blocked the bot"),
        failed=_("Not delivered"),
        over_time=_("Deliveries over time"),
        by_group=_("By organisation") if grouping == "organisation" else _("By region"),
        others=ngettext("{n} more", "{n} more", rest).format(n=rest),
    )


def draw_reach(data: ReachData, labels: ReachLabels) -> Canvas:
    canvas = Canvas(WIDTH, 2000)
    y = float(MARGIN - 12)
    canvas.text(MARGIN, y, labels.title, size=TITLE_PX, weight="bold")
    y += round(TITLE_PX * LINE)
    for line in canvas.wrap(labels.subtitle, WIDTH - 2 * MARGIN, SMALL_PX):
        canvas.text(MARGIN, y, line, size=SMALL_PX, colour=MUTED)
        y += round(SMALL_PX * LINE)
    y += 16
    final = (
        data.points[-1].counts if data.points else sum((g.counts for g in data.groups), Counts())
    )
    y = _totals(canvas, final, data.recipients, labels, y) + 24

    canvas.text(MARGIN, y, labels.over_time, size=BODY_PX, weight="bold")
    y += round(BODY_PX * LINE) + 12
    y = _time_chart(canvas, data.points, max(data.recipients, final.total, 1), y) + 28

    if data.groups:
        canvas.text(MARGIN, y, labels.by_group, size=BODY_PX, weight="bold")
        y += round(BODY_PX * LINE) + 12
        y = _bars(canvas, data.groups, labels, y)
    canvas.set_height(round(y + MARGIN - 12))
    return canvas


def render_reach(data: ReachData, labels: ReachLabels) -> bytes:
    """The chart as PNG bytes (960 px wide); CPU-bound: run it off the event loop."""
    return draw_reach(data, labels).png()


def _totals(
    canvas: Canvas, final: Counts, recipients: int, labels: ReachLabels, y: float
) -> float:
    """Three tiles, the chart's key too: each outcome's name, count and share."""
    width = (WIDTH - 2 * MARGIN - 2 * 20) / 3
    whole = max(recipients, final.total, 1)
    tiles = (
        (labels.sent, final.sent, SENT),
        (labels.blocked, final.blocked, BLOCKED),
        (labels.failed, final.failed, FAILED),
    )
    names = [canvas.wrap(name, width - 24, SMALL_PX)[:2] for name, _, _ in tiles]
    name_px = max(len(lines) for lines in names) * round(SMALL_PX * LINE)
    height = name_px + round(TITLE_PX * LINE)
    for index, ((_, count, colour), lines) in enumerate(zip(tiles, names, strict=True)):
        left = MARGIN + index * (width + 20)
        canvas.box(left, y, 6, height, colour, zorder=2)
        for number, line in enumerate(lines):
            canvas.text(
                left + 18, y + number * round(SMALL_PX * LINE), line, size=SMALL_PX, colour=MUTED
            )
        figure = f"{format_count(count)} · {share(count, whole)}"
        canvas.text(
            left + 18,
            y + name_px,
            canvas.shorten(figure, width - 24, TITLE_PX, "bold"),
            size=TITLE_PX,
            weight="bold",
            colour=INK,
        )
    return y + height


def _nice_step(whole: int) -> int:
    """A round gridline interval (1, 2 or 5 times a power of ten) giving 2 to 5 lines."""
    step = 1
    while whole / step > 5:
        for factor in (2, 5 / 2, 2):
            step = round(step * factor)
            if whole / step <= 5:
                break
    return step


def _tick_step(start: dt.datetime, end: dt.datetime, label_px: float) -> int:
    """The shortest tick interval (minutes) whose labels do not crowd the axis."""
    minutes = max((end - start).total_seconds() / 60, 1)
    for step in TICK_MINUTES:
        if minutes / step * (label_px + 32) <= WIDTH - 2 * MARGIN:
            return step
    return TICK_MINUTES[-1]


def _time_chart(canvas: Canvas, points: Sequence[ReachPoint], whole: int, top: float) -> float:
    step = _nice_step(whole)
    values = list(range(0, whole + 1, step))
    value_px = max(canvas.measure(format_count(v), SMALL_PX) for v in [*values, whole])
    left, right = MARGIN + value_px + 14, WIDTH - MARGIN
    bottom = top + CHART_PX
    for value in values:
        y = bottom - value / whole * CHART_PX
        canvas.line(
            [left, right],
            [y, y],
            RULE if value else MUTED,
            width=1 if value else 2,
            zorder=1 if value else 3,
        )
        if whole - value >= whole / 10 or value == whole:  # not crowding the recipients' line
            canvas.text(
                left - 10,
                y,
                format_count(value),
                size=SMALL_PX,
                colour=MUTED,
                ha="right",
                va="center_baseline",
            )
    if values[-1] != whole:  # everyone the broadcast was for: the ceiling of the chart
        canvas.line([left, right], [top, top], MUTED, width=1, zorder=1)
        canvas.text(
            left - 10,
            top,
            format_count(whole),
            size=SMALL_PX,
            colour=INK,
            ha="right",
            va="center_baseline",
        )
    if not points:
        return bottom
    start, end = points[0].at, points[-1].at
    if end - start < dt.timedelta(minutes=1):
        end = start + dt.timedelta(minutes=1)
    seconds = (end - start).total_seconds()

    def x_of(at: dt.datetime) -> float:
        return left + (at - start).total_seconds() / seconds * (right - left)

    def y_of(count: int) -> float:
        return bottom - count / whole * CHART_PX

    xs = [x_of(p.at) for p in points]
    if len(xs) == 1:
        xs, points = [left, right], [points[0], points[0]]
    # stacked: sent at the bottom, then blocked, then failed on top
    layers = (
        (SENT, [p.counts.sent for p in points]),
        (BLOCKED, [p.counts.sent + p.counts.blocked for p in points]),
        (FAILED, [p.counts.total for p in points]),
    )
    below = [bottom] * len(xs)
    for colour, heights in layers:
        above = [y_of(height) for height in heights]
        canvas.axes.fill_between(xs, below, above, color=rgb(colour), linewidth=0, zorder=2)
        below = above

    days = start.date() != end.date()
    fmt = "%d.%m %H:%M" if days else "%H:%M"
    step = _tick_step(start, end, canvas.measure(start.strftime(fmt), SMALL_PX))
    tick = start.replace(second=0, microsecond=0)
    tick -= dt.timedelta(minutes=(tick.hour * 60 + tick.minute) % step)
    if tick < start:
        tick += dt.timedelta(minutes=step)
    while tick <= end:
        x = x_of(tick)
        label = tick.strftime(fmt)
        half = canvas.measure(label, SMALL_PX) / 2
        # centred under its tick, except at the ends: kept clear of the count axis and the edge
        ha: HAlign = "left" if x - half < left else "right" if x + half > right else "center"
        canvas.line([x, x], [bottom, bottom + 8], MUTED, width=2, zorder=3)
        canvas.text(x, bottom + 12, label, size=SMALL_PX, colour=MUTED, ha=ha)
        tick += dt.timedelta(minutes=step)
    return bottom + 12 + SMALL_PX * LINE


def _bars(canvas: Canvas, groups: Sequence[ReachGroup], labels: ReachLabels, y: float) -> float:
    ranked = sorted(groups, key=lambda g: (-g.counts.total, g.name))
    shown = ranked[:MAX_GROUPS]
    rest = ranked[MAX_GROUPS:]
    if rest:
        shown.append(ReachGroup(labels.others, sum((g.counts for g in rest), Counts())))
    count_px = max(canvas.measure(format_count(g.counts.total), SMALL_PX) for g in shown)
    left = MARGIN + GROUP_NAME_PX + 16
    right = WIDTH - MARGIN - count_px - 12
    largest = max(1, *(g.counts.total for g in shown))
    line_px = round(SMALL_PX * LINE)
    for group in shown:
        names = canvas.wrap(group.name, GROUP_NAME_PX, SMALL_PX)
        if len(names) > 2:
            names = [names[0], canvas.shorten(" ".join(names[1:]), GROUP_NAME_PX, SMALL_PX)]
        row_px = max(BAR_ROW_PX, len(names) * line_px + 12)
        middle = y + row_px / 2
        for number, name in enumerate(names):
            canvas.text(
                MARGIN,
                middle + (number - (len(names) - 1) / 2) * line_px,
                name,
                size=SMALL_PX,
                colour=INK,
                va="center_baseline",
            )
        x = float(left)
        for count, colour in (
            (group.counts.sent, SENT),
            (group.counts.blocked, BLOCKED),
            (group.counts.failed, FAILED),
        ):
            width = count / largest * (right - left)
            canvas.box(x, middle - BAR_PX / 2, width, BAR_PX, colour, zorder=2)
            x += width
        canvas.text(
            x + 10,
            middle,
            format_count(group.counts.total),
            size=SMALL_PX,
            colour=MUTED,
            va="center_baseline",
        )
        y += row_px
    return y
