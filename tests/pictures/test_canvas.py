"""The drawing surface: every Kazakh and Russian letter has a glyph, text is never cut,
layout keeps labels apart, the same picture gives the same bytes."""

from __future__ import annotations

import random
import warnings

import pytest

from backend.pictures.canvas import ELLIPSIS, Canvas
from backend.pictures.layout import place_flags
from backend.pictures.style import BODY_PX, SMALL_PX
from tests.pictures.support import assert_no_overlap

KAZAKH = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ"
LETTERS = KAZAKH + KAZAKH.lower() + "«»–—…№✓✗?~"


def test_every_kazakh_and_russian_letter_draws_without_a_missing_glyph() -> None:
    canvas = Canvas(960, 200)
    canvas.text(10, 10, LETTERS, size=SMALL_PX)
    canvas.text(10, 80, LETTERS, size=SMALL_PX, weight="bold")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = canvas.png()
    assert [str(w.message) for w in caught] == []
    assert png.startswith(b"\x89PNG")


def test_a_missing_glyph_fails_the_tests() -> None:
    """pytest turns warnings into errors (pyproject): a letter the font lacks would fail."""
    canvas = Canvas(300, 100)
    canvas.text(10, 10, "漢", size=SMALL_PX)
    with pytest.warns(UserWarning, match="missing from font"):
        canvas.png()


def test_a_dollar_sign_is_text_not_mathtext() -> None:
    canvas = Canvas(600, 100)
    text = canvas.text(10, 10, "Курс $5 за $x^2$", size=SMALL_PX)
    canvas.png()  # mathtext would fail to parse or drop the dollars
    assert text.get_text() == "Курс $5 за $x^2$"
    assert canvas.measure("$x^2$", SMALL_PX) > canvas.measure("x^2", SMALL_PX)


def test_wrapping_keeps_every_word_and_fits_the_width() -> None:
    canvas = Canvas(960, 100)
    text = (
        "Мектепке дейінгі тәрбие және оқыту ұйымдарының арнайы педагогі (мұғалім-дефектолог, "
        "дефектолог, мұғалім-логопед, логопед, олигофренопедагог, сурдопедагог, тифлопедагог)"
    )
    lines = canvas.wrap(text, 500, BODY_PX, "bold")
    assert len(lines) > 2
    assert " ".join(lines) == text
    assert all(canvas.measure(line, BODY_PX, "bold") <= 500 for line in lines)


def test_a_word_wider_than_the_line_is_split_not_cut() -> None:
    canvas = Canvas(960, 100)
    word = "олигофренопедагогсурдопедагогтифлопедагог"
    lines = canvas.wrap(word, 200, BODY_PX)
    assert len(lines) > 1
    assert "".join(lines) == word


def test_shortening_ends_with_an_ellipsis_within_the_width() -> None:
    canvas = Canvas(960, 100)
    long = "Цифровая грамотность педагога в условиях обновлённого содержания"
    short = canvas.shorten(long, 300, SMALL_PX)
    assert short.endswith(ELLIPSIS)
    assert long.startswith(short[:-1].rstrip())
    assert canvas.measure(short, SMALL_PX) <= 300
    assert canvas.shorten("Математика", 300, SMALL_PX) == "Математика"


def test_the_same_drawing_gives_the_same_bytes() -> None:
    def draw(label: str) -> bytes:
        canvas = Canvas(400, 100)
        canvas.text(10, 10, label, size=SMALL_PX)
        return canvas.png()

    assert draw("Бүгін") == draw("Бүгін")
    assert draw("Бүгін") != draw("Сегодня")


def test_overlap_check_sees_overlapping_texts() -> None:
    canvas = Canvas(400, 100)
    canvas.text(10, 10, "Бүгін", size=SMALL_PX)
    canvas.text(20, 15, "Мерзімі", size=SMALL_PX)
    with pytest.raises(AssertionError, match="overlaps"):
        assert_no_overlap(canvas)


# --- flags -----------------------------------------------------------------------------------


def test_two_labels_on_the_same_day_hang_on_either_side_of_one_pole() -> None:
    first, second = place_flags([(480, [150]), (480, [150])], low=0, high=960, rows=3)
    assert first is not None
    assert second is not None
    assert {first.side, second.side} == {"left", "right"}
    assert first.row == second.row == 0


def test_a_label_at_the_edge_turns_inwards() -> None:
    (flag,) = place_flags([(950, [150])], low=0, high=960, rows=3)
    assert flag is not None
    assert flag.side == "left"
    assert flag.right <= 960


def test_the_shorter_form_is_used_only_when_the_longer_fits_nowhere() -> None:
    (roomy,) = place_flags([(100, [300, 80])], low=0, high=960, rows=2)
    (cramped,) = place_flags([(100, [300, 80])], low=0, high=400, rows=2)
    assert roomy is not None
    assert roomy.variant == 0
    assert roomy.width == 300
    assert cramped is not None
    assert cramped.variant == 1
    assert cramped.width == 80


def test_flags_never_overlap_nor_sit_on_another_pole() -> None:
    rng = random.Random(7)
    for _ in range(300):
        count = rng.randint(1, 8)
        items = [(rng.uniform(0, 960), [rng.uniform(60, 320)]) for _ in range(count)]
        flags = [f for f in place_flags(items, low=0, high=960, rows=3) if f is not None]
        for index, a in enumerate(flags):
            assert a.left >= 0
            assert a.right <= 960
            for b in flags[index + 1 :]:
                if a.row == b.row:
                    assert a.right <= b.left or b.right <= a.left
                inner, outer = (a, b) if a.row < b.row else (b, a)
                if inner.row != outer.row:
                    assert not inner.left < outer.anchor < inner.right


def test_up_to_three_labels_are_all_placed_when_any_placement_exists() -> None:
    """Today, the due date and a testing window near the right edge: all three fit."""
    flags = place_flags([(787, [160]), (790, [150]), (880, [200])], low=20, high=940, rows=3)
    assert all(flag is not None for flag in flags)
