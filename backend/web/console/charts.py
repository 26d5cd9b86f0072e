"""Server-side SVG charts with matplotlib's SVG backend (no pyplot: no global state, safe in
worker threads). The page shows a table with the same figures beside each chart."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from matplotlib.figure import Figure

ACCENT = "#0b6bcb"
SIZE = (6.4, 3.2)


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def line_svg(labels: Sequence[str], values: Sequence[float], title: str) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.plot(range(len(values)), values, color=ACCENT, marker="o", markersize=3)
    axes.set_ylim(0, 100)
    axes.set_ylabel("%")
    axes.set_title(title, fontsize=10)
    step = max(1, len(labels) // 8)
    axes.set_xticks(range(0, len(labels), step), labels[::step], fontsize=8, rotation=30)
    axes.grid(alpha=0.3)
    return _svg(figure)


def bars_svg(labels: Sequence[str], values: Sequence[float], title: str, unit: str) -> bytes:
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    axes.barh(range(len(values)), values, color=ACCENT)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    return _svg(figure)


SENT, BLOCKED, FAILED = "#12b76a", "#f79009", "#d92d20"


def reach_svg(
    times: Sequence[dt.datetime],
    series: Sequence[Sequence[int]],
    legend: Sequence[str],
    recipients: int,
    title: str,
) -> bytes:
    """Running totals of sent, blocked and failed over time, stacked; the dashed line is
    everyone the broadcast was for. ``times`` are local; an empty broadcast draws empty axes."""
    figure = Figure(figsize=SIZE)
    axes = figure.add_subplot()
    if times:
        start = times[0]
        minutes = [(moment - start).total_seconds() / 60 for moment in times]
        axes.stackplot(minutes, *series, labels=legend, colors=(SENT, BLOCKED, FAILED))
        step = max(1, len(times) // 6)
        ticks = list(range(0, len(times), step))
        axes.set_xticks(
            [minutes[i] for i in ticks],
            [times[i].strftime("%d.%m %H:%M") for i in ticks],
            fontsize=8,
            rotation=30,
        )
        axes.legend(loc="upper left", fontsize=8)
    axes.axhline(recipients, color="#656d76", linestyle="--", linewidth=1)
    axes.set_ylim(0, max(recipients, 1) * 1.08)
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    return _svg(figure)
