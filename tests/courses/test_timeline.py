"""The timeline picture: a real PNG, the due marker's colour, deterministic bytes."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from backend.courses.timeline import (
    DUE_LATER,
    DUE_OVERDUE,
    DUE_SOON,
    HEIGHT,
    WIDTH,
    due_colour,
    render_timeline,
)

TODAY = dt.date(2026, 5, 5)
COMPLETIONS = [dt.date(2020, 9, 1), dt.date(2023, 5, 10)]


def colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = image.getcolors(maxcolors=WIDTH * HEIGHT)
    assert found is not None
    return {(int(p[0]), int(p[1]), int(p[2])) for _, p in found if isinstance(p, tuple)}


def test_the_png_decodes_with_the_expected_size() -> None:
    png = render_timeline(COMPLETIONS, dt.date(2026, 5, 10), TODAY)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT)


def test_the_due_marker_colour_follows_the_days_left() -> None:
    assert due_colour(dt.date(2026, 5, 1), TODAY) == DUE_OVERDUE
    assert due_colour(dt.date(2026, 6, 1), TODAY) == DUE_SOON
    assert due_colour(dt.date(2027, 6, 1), TODAY) == DUE_LATER


def test_overdue_and_not_overdue_draw_different_colours() -> None:
    overdue = colours(render_timeline([dt.date(2023, 1, 1)], dt.date(2026, 1, 1), TODAY))
    soon = colours(render_timeline([dt.date(2023, 6, 1)], dt.date(2026, 6, 1), TODAY))
    later = colours(render_timeline([dt.date(2025, 1, 1)], dt.date(2028, 1, 1), TODAY))
    assert DUE_OVERDUE in overdue
    assert DUE_SOON not in overdue
    assert DUE_LATER not in overdue
    assert DUE_SOON in soon
    assert DUE_OVERDUE not in soon
    assert DUE_LATER in later
    assert DUE_OVERDUE not in later


def test_without_a_due_date_there_is_no_due_marker() -> None:
    drawn = colours(render_timeline([], None, TODAY))
    assert not drawn & {DUE_OVERDUE, DUE_SOON, DUE_LATER}


def test_the_same_inputs_give_the_same_bytes() -> None:
    many = [dt.date(2023, 5, d) for d in range(1, 20)]  # crowded labels still render
    first = render_timeline(many, dt.date(2026, 5, 19), TODAY)
    assert first == render_timeline(list(reversed(many)), dt.date(2026, 5, 19), TODAY)
    assert first != render_timeline(many, dt.date(2026, 5, 20), TODAY)
