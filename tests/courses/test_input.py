"""Course input: dates in three spellings, the calendar's limits, hours, provider, title."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.courses import CourseInputError, format_date, parse_date, validate_course
from backend.courses.validation import validate_changes

TODAY = dt.date(2026, 11, 22)


def _course(**fields: Any) -> dict[str, Any]:
    base = {"completed_on": "15.03.2025", "title": "Цифрлық сауаттылық", "provider": "orleu"}
    return base | fields


def _codes(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(CourseInputError) as caught:
        validate_course(raw, TODAY)
    return caught.value.codes


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15.03.2025", dt.date(2025, 3, 15)),
        ("5.3.2025", dt.date(2025, 3, 5)),
        (" 2025-03-15 ", dt.date(2025, 3, 15)),
        ("29.02.2024", dt.date(2024, 2, 29)),
    ],
)
def test_dates_in_the_accepted_spellings(text: str, day: dt.date) -> None:
    assert parse_date(text) == day
    assert validate_course(_course(completed_on=text), TODAY).completed_on == day


def test_dates_are_shown_as_dd_mm_yyyy() -> None:
    assert format_date(dt.date(2025, 3, 5)) == "05.03.2025"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("23.11.2026", "date_future"),  # tomorrow in Almaty
        ("31.12.1990", "date_too_early"),
        ("15.03.1990", "date_too_early"),
        ("31.02.2024", "date_invalid"),
        ("29.02.2025", "date_invalid"),
        ("2025/03/15", "date_format"),
        ("15-03-2025", "date_format"),
        ("March 2025", "date_format"),
        ("", "date_format"),
    ],
)
def test_bad_dates_have_codes(text: str, code: str) -> None:
    assert _codes(_course(completed_on=text)) == [code]


def test_today_and_1991_are_accepted() -> None:
    assert validate_course(_course(completed_on="22.11.2026"), TODAY).completed_on == TODAY
    assert validate_course(_course(completed_on="01.01.1991"), TODAY)


def test_other_fields() -> None:
    course = validate_course(
        _course(
            provider=" Talap ",
            hours="72",
            title="  Жаңартылған   мазмұн ",
            certificate_number="№ 0012",
            certificate_file_id="AgACAgIAAxkBAAI",
            certificate_sha256="A" * 64,
        ),
        TODAY,
    )
    assert (course.provider, course.hours, course.title) == ("talap", 72, "Жаңартылған мазмұн")
    assert course.certificate_sha256 == "a" * 64
    assert _codes(_course(hours=0)) == ["hours_range"]
    assert _codes(_course(hours=2001)) == ["hours_range"]
    assert _codes(_course(hours="72.5")) == ["hours_format"]
    assert _codes(_course(hours=True)) == ["hours_format"]
    assert _codes(_course(provider="bilim")) == ["provider_unknown"]
    assert _codes(_course(title="   ")) == ["title_empty"]
    assert _codes(_course(title="x" * 513)) == ["title_too_long"]
    assert _codes(_course(certificate_sha256="zz")) == ["sha256_format"]
    assert _codes({"title": "T"}) == ["required", "required"]


def test_partial_changes() -> None:
    assert validate_changes({"hours": 36}, TODAY) == {"hours": 36}
    with pytest.raises(CourseInputError) as caught:
        validate_changes({"colour": "red", "completed_on": "1.1.2030"}, TODAY)
    assert caught.value.problems == [("colour", "unknown_field"), ("completed_on", "date_future")]


@pytest.mark.parametrize("field", ["title", "topic", "provider_name", "certificate_number"])
def test_free_text_is_one_line_and_control_characters_are_refused(field: str) -> None:
    today = dt.date(2026, 12, 4)
    assert validate_changes({field: " Жаңа\tмазмұн\n 2024 "}, today) == {field: "Жаңа мазмұн 2024"}
    for bad in ("a\x00b", "a\x1bb", "a\x7fb", "a\ud800b"):
        with pytest.raises(CourseInputError) as error:
            validate_changes({field: bad}, today)
        assert error.value.problems == [(field, "text_controls")]
