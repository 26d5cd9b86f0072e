"""Plural forms and typed years, in both languages."""

from __future__ import annotations

import pytest
from aiogram.utils.i18n import I18n

from backend.settings import Settings
from bot.factory import create_i18n
from bot.handlers.assessment import texts
from bot.shared.parsing import YearsError, parse_years


@pytest.fixture
def i18n() -> I18n:
    return create_i18n(Settings(_env_file=None))


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("ru", 1, "1 год"),
        ("ru", 2, "2 года"),
        ("ru", 5, "5 лет"),
        ("ru", 21, "21 год"),
        ("ru", 11, "11 лет"),
        ("ru", 2.5, "2,5 года"),
        ("kk", 1, "1 жыл"),
        ("kk", 5, "5 жыл"),
        ("kk", 2.5, "2,5 жыл"),
    ],
)
def test_years_take_the_right_plural(
    i18n: I18n, language: str, value: float, expected: str
) -> None:
    with i18n.context(), i18n.use_locale(language):
        assert texts.years(value) == expected


@pytest.mark.parametrize(
    ("typed", "years"),
    [
        ("5", 5.0),
        ("5,5", 5.5),
        ("5.5", 5.5),
        ("5 жыл", 5.0),
        ("5 лет", 5.0),
        ("5 years", 5.0),
        ("  12 года ", 12.0),
        ("0", 0.0),
        ("60", 60.0),
    ],
)
def test_typed_years(typed: str, years: float) -> None:
    assert parse_years(typed) == years


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("пять", "not_a_number"),
        ("5 км", "not_a_number"),
        ("-3", "not_a_number"),
        ("61", "too_many"),
        ("", "not_a_number"),
    ],
)
def test_bad_years_say_why(typed: str, reason: str) -> None:
    with pytest.raises(YearsError) as error:
        parse_years(typed)
    assert error.value.reason == reason
