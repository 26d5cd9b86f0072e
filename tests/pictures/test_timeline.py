"""The course timeline: localized words, labels apart however close the dates, the cycle's
colours, the testing window, readable on a phone; deterministic PNG bytes."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from backend.pictures.style import OVERDUE, SOON, VALID, WIDTH, tint
from backend.pictures.timeline import (
    Course,
    TimelineData,
    Window,
    draw_timeline,
    due_colour,
    render_timeline,
    timeline_labels,
)
from tests.pictures.support import (
    LANGUAGES,
    assert_no_overlap,
    assert_png,
    assert_readable_on_a_phone,
    catalog,
    drawn_texts,
)

TODAY = dt.date(2026, 5, 5)
COURSES = [
    Course(dt.date(2020, 9, 1), "Жаңартылған білім беру мазмұны аясында біліктілікті арттыру"),
    Course(dt.date(2023, 5, 10), "Цифровая грамотность педагога"),
]
EXPECTED = {
    "kk": ("Біліктілікті арттыру курстарым", "Бүгін", "Курс мерзімі", "жарамды"),
    "ru": ("Мои курсы повышения квалификации", "Сегодня", "Срок курса", "действует"),
}


def timeline(data: TimelineData, language: str = "ru"):  # type: ignore[no-untyped-def]
    return draw_timeline(data, timeline_labels(catalog(language), data))


def png_of(data: TimelineData, language: str = "ru") -> bytes:
    return render_timeline(data, timeline_labels(catalog(language), data))


def colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found = image.getcolors(maxcolors=image.width * image.height)
    assert found is not None
    return {(int(p[0]), int(p[1]), int(p[2])) for _, p in found if isinstance(p, tuple)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_words_are_the_recipients_language(language: str) -> None:
    data = TimelineData(COURSES, dt.date(2026, 5, 10), TODAY)
    canvas = timeline(data, language)
    texts = drawn_texts(canvas)
    for expected in EXPECTED[language]:
        assert expected in texts
    assert not {"Today", "Due date", "My refresher courses", "valid"} & set(texts)
    assert "10.05.2026" in texts
    assert "05.05.2026" in texts
    assert "10.05.2023" in texts
    assert "01.09.2020" in texts
    assert any(t.startswith("Цифровая грамотность") for t in texts)  # … and its title
    assert {"2021", "2022", "2023", "2024", "2025", "2026"} <= set(texts)  # a year per year
    status = next(t for t in texts if "10.05.2026" in t and len(t) > 12)
    assert ("5 күн" if language == "kk" else "осталось 5 дней") in status


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("due", "today"),
    [
        (dt.date(2026, 12, 1), dt.date(2026, 12, 4)),  # a few days apart, overdue
        (dt.date(2026, 12, 4), dt.date(2026, 11, 30)),  # a few days apart, still due
        (dt.date(2026, 12, 4), dt.date(2026, 12, 4)),  # the same day
        (dt.date(2029, 12, 4), dt.date(2026, 12, 4)),  # years apart
        (dt.date(2020, 1, 10), dt.date(2026, 12, 4)),  # years overdue
    ],
)
def test_today_and_due_are_labelled_and_never_overlap(
    due: dt.date, today: dt.date, language: str
) -> None:
    last = due.replace(year=due.year - 3)
    data = TimelineData(
        [Course(last, "Инклюзивное образование"), Course(last - dt.timedelta(days=9), "Курс")],
        due,
        today,
        Window(today + dt.timedelta(days=20), today + dt.timedelta(days=40)),
    )
    canvas = timeline(data, language)
    texts = drawn_texts(canvas)
    today_word, due_word = EXPECTED[language][1:3]
    assert today_word in texts
    assert due_word in texts
    assert due.strftime("%d.%m.%Y") in texts
    assert today.strftime("%d.%m.%Y") in texts
    assert ("Ұлттық тестілеу" if language == "kk" else "Национальное тестирование") in texts
    assert_no_overlap(canvas)


@pytest.mark.parametrize("language", LANGUAGES)
def test_crowded_courses_stay_apart_and_the_latest_is_labelled(language: str) -> None:
    many = [Course(dt.date(2023, 5, d), f"Курс №{d}") for d in range(1, 20)]
    canvas = timeline(TimelineData(many, dt.date(2026, 5, 19), TODAY), language)
    texts = drawn_texts(canvas)
    assert "19.05.2023" in texts
    assert "Курс №19" in texts
    assert_no_overlap(canvas)


@pytest.mark.parametrize("language", LANGUAGES)
def test_readable_on_a_phone(language: str) -> None:
    data = TimelineData(COURSES, dt.date(2026, 5, 10), TODAY, Window(TODAY, TODAY))
    canvas = timeline(data, language)
    assert_readable_on_a_phone(canvas)
    width, height = assert_png(canvas.png())
    assert width == WIDTH
    assert 400 <= height <= 800  # about 4:3 at most: full width in a chat bubble


def test_without_a_testing_window_none_is_drawn() -> None:
    texts = drawn_texts(timeline(TimelineData(COURSES, dt.date(2026, 5, 10), TODAY)))
    assert "Национальное тестирование" not in texts


def test_long_course_titles_are_shortened_with_an_ellipsis() -> None:
    texts = drawn_texts(timeline(TimelineData(COURSES, dt.date(2026, 5, 10), TODAY)))
    assert any(t.startswith("Жаңартылған білім") and t.endswith("…") for t in texts)


# --- moved from tests/courses/test_timeline.py (the Pillow timeline this one replaces) ---------


def test_the_png_decodes_with_the_expected_width() -> None:
    png = png_of(TimelineData(COURSES, dt.date(2026, 5, 10), TODAY))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert assert_png(png)[0] == WIDTH


def test_the_due_marker_colour_follows_the_days_left() -> None:
    assert due_colour(dt.date(2026, 5, 1), TODAY) == OVERDUE
    assert due_colour(dt.date(2026, 6, 1), TODAY) == SOON
    assert due_colour(dt.date(2027, 6, 1), TODAY) == VALID


def test_overdue_and_not_overdue_draw_different_colours() -> None:
    overdue = colours(
        png_of(TimelineData([Course(dt.date(2023, 1, 1), "А")], dt.date(2026, 1, 1), TODAY))
    )
    soon = colours(
        png_of(TimelineData([Course(dt.date(2023, 6, 1), "Б")], dt.date(2026, 6, 1), TODAY))
    )
    later = colours(
        png_of(TimelineData([Course(dt.date(2025, 1, 1), "В")], dt.date(2028, 1, 1), TODAY))
    )
    assert OVERDUE in overdue
    assert SOON not in overdue
    assert VALID not in overdue
    assert SOON in soon
    assert OVERDUE not in soon
    assert VALID in later
    assert OVERDUE not in later
    # the band: the cycle's valid part, its last 90 days, and the time past the due date
    assert {tint(VALID), tint(SOON), tint(OVERDUE)} <= overdue


def test_the_band_turns_red_past_the_due_date() -> None:
    """Beyond the legend's swatch, red fills the bar only once the due date has passed."""

    def red_pixels(due: dt.date) -> int:
        data = TimelineData([Course(due.replace(year=due.year - 3), "А")], due, TODAY)
        image = Image.open(io.BytesIO(png_of(data))).convert("RGB")
        found = image.getcolors(maxcolors=image.width * image.height) or []
        return sum(count for count, colour in found if colour == tint(OVERDUE))

    swatch = red_pixels(dt.date(2028, 1, 1))
    assert red_pixels(dt.date(2026, 6, 1)) == swatch
    assert red_pixels(dt.date(2026, 1, 1)) > swatch + 1000


def test_without_a_due_date_there_is_no_due_marker() -> None:
    drawn = colours(png_of(TimelineData([], None, TODAY)))
    assert not drawn & {OVERDUE, SOON, VALID}


def test_the_same_inputs_give_the_same_bytes() -> None:
    many = [Course(dt.date(2023, 5, d), "Курс") for d in range(1, 20)]
    first = png_of(TimelineData(many, dt.date(2026, 5, 19), TODAY))
    assert first == png_of(TimelineData(list(reversed(many)), dt.date(2026, 5, 19), TODAY))
    assert first != png_of(TimelineData(many, dt.date(2026, 5, 20), TODAY))
