"""A timeline picture (PNG): the completed courses and the next due date on one time axis.

Pure and deterministic: the same dates give the same bytes. Labels are dates only (DD.MM.YYYY)
because Pillow's built-in font has no Cyrillic.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageFont

from backend.courses.validation import format_date

WIDTH, HEIGHT = 800, 220
PAD_X = 60  # room for a date label centred on the axis' first or last day
AXIS_Y = 110
MIN_MARGIN_DAYS = 30
SOON_DAYS = 90

BACKGROUND = (255, 255, 255)
AXIS = (90, 90, 90)
COURSE = (40, 90, 200)
TODAY = (150, 150, 150)
DUE_OVERDUE = (210, 30, 30)
DUE_SOON = (235, 140, 0)
DUE_LATER = (30, 150, 60)
TEXT = (40, 40, 40)


def due_colour(due: dt.date, today: dt.date) -> tuple[int, int, int]:
    """Red when overdue, orange within ``SOON_DAYS``, green otherwise."""
    days = (due - today).days
    if days < 0:
        return DUE_OVERDUE
    if days <= SOON_DAYS:
        return DUE_SOON
    return DUE_LATER


def _span(
    completions: list[dt.date], due: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    days = [*completions, today, *([due] if due is not None else [])]
    first, last = min(days), max(days)
    margin = dt.timedelta(days=max(MIN_MARGIN_DAYS, (last - first).days // 20))
    return first - margin, last + margin


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return int(right - left)


def render_timeline(completions: list[dt.date], due: dt.date | None, today: dt.date) -> bytes:
    """The PNG: a dot per completed course, a marker for the due date, a thin line for today."""
    start, end = _span(completions, due, today)
    total = max((end - start).days, 1)

    def x_of(day: dt.date) -> int:
        return PAD_X + round((day - start).days * (WIDTH - 2 * PAD_X) / total)

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()

    def label(x: int, y: int, text: str, fill: tuple[int, int, int]) -> None:
        width = _text_width(draw, text, font)  # type: ignore[arg-type]
        left = min(max(x - width // 2, 2), WIDTH - width - 2)
        draw.text((left, y), text, fill=fill, font=font)

    draw.line([(PAD_X - 20, AXIS_Y), (WIDTH - PAD_X + 20, AXIS_Y)], fill=AXIS, width=2)

    x_today = x_of(today)
    draw.line([(x_today, AXIS_Y - 30), (x_today, AXIS_Y + 45)], fill=TODAY, width=1)
    label(x_today, AXIS_Y - 62, format_date(today), TODAY)

    # course labels go under the axis, dropping a row when they would overlap the previous one
    rows_end: list[int] = []
    for day in sorted(set(completions)):
        x = x_of(day)
        draw.ellipse([(x - 6, AXIS_Y - 6), (x + 6, AXIS_Y + 6)], fill=COURSE)
        text = format_date(day)
        width = _text_width(draw, text, font)  # type: ignore[arg-type]
        row = next(
            (i for i, right in enumerate(rows_end) if x - width // 2 > right + 4), len(rows_end)
        )
        row = min(row, 3)
        if row == len(rows_end):
            rows_end.append(0)
        rows_end[row] = x + width // 2
        label(x, AXIS_Y + 14 + 16 * row, text, COURSE)

    if due is not None:
        colour = due_colour(due, today)
        x = x_of(due)
        draw.polygon(
            [(x, AXIS_Y - 12), (x + 10, AXIS_Y), (x, AXIS_Y + 12), (x - 10, AXIS_Y)], fill=colour
        )
        draw.line([(x, AXIS_Y - 24), (x, AXIS_Y - 12)], fill=colour, width=3)
        label(x, AXIS_Y - 44, format_date(due), colour)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
