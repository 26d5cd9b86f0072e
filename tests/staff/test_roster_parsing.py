"""Roster file parsing without a database: dates, bombs, padding, headers, messages' length."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from backend.roster_parsing.rows import RosterFileError, parse_date, parse_roster
from backend.rules.loader import Ruleset
from backend.staff.digest import MESSAGE_LIMIT, Digest, DigestRow, digest_text
from tests.staff.helpers import csv_bytes, xlsx_bytes

TODAY = dt.date(2026, 5, 5)
LIMITS = {"max_bytes": 1024 * 1024, "max_rows": 50}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.05.2023", dt.date(2023, 5, 10)),
        ("2023-05-10", dt.date(2023, 5, 10)),
        ("10/05/2023", dt.date(2023, 5, 10)),
        ("10.05.2023 00:00:00", dt.date(2023, 5, 10)),
        ("10.05.23", dt.date(2023, 5, 10)),
        (45056, dt.date(2023, 5, 10)),  # an Excel serial number
        (dt.datetime(2023, 5, 10, 8, 30), dt.date(2023, 5, 10)),
        ("31.02.2023", None),
        ("вчера", None),
    ],
)
def test_dates(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_an_xlsx_that_unzips_to_far_more_is_refused_before_reading(ruleset: Ruleset) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<a>" + b"A" * 60_000_000 + b"</a>")
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(RosterFileError) as raised:
        parse_roster("bomb.xlsx", data, ruleset=ruleset, today=TODAY, **LIMITS)
    assert raised.value.code == "too_large"


def test_a_sheet_padded_with_blank_rows_is_refused(ruleset: Ruleset) -> None:
    rows: list[list[object]] = [["ФИО", "Должность", "Дата последнего курса", "Категория"]]
    rows += [[None, None, None, " "]] * 1100
    with pytest.raises(RosterFileError) as raised:
        parse_roster("pad.xlsx", xlsx_bytes(rows), ruleset=ruleset, today=TODAY, **LIMITS)
    assert raised.value.code == "too_many_rows"


def test_the_header_may_follow_blank_lines_and_columns_any_order(ruleset: Ruleset) -> None:
    data = csv_bytes(
        [
            ";;;",
            "Категория;Дата последнего курса;Ф.И.О.;Должность;Ник в Telegram",
            'педагог;01.02.2024;"Ким ""Аня"" Анна";2.4;https://t.me/kim_anna',
        ]
    )
    parsed = parse_roster("r.csv", data, ruleset=ruleset, today=TODAY, **LIMITS)
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.line, row.full_name, row.username, row.category) == (
        3,
        'Ким "Аня" Анна',
        "kim_anna",
        "pedagog",
    )


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers_right(ruleset: Ruleset) -> None:
    data = csv_bytes(
        [
            "ФИО,Должность,Дата последнего курса,Категория",
            '"Ким\nАнна",2.4,01.02.2024,педагог',  # lines 2-3
            "Ли Ольга,2.4,не помню,педагог",  # line 4
            "Ахметов Ерлан,2.4,01.02.2024,@boss",  # line 5
        ]
    )
    parsed = parse_roster("r.csv", data, ruleset=ruleset, today=TODAY, **LIMITS)
    assert [(error.line, error.code) for error in parsed.errors] == [
        (4, "bad_date"),
        (5, "unknown_category"),
    ]
    assert [row.line for row in parsed.rows] == [2]


def test_an_empty_file_has_no_header(ruleset: Ruleset) -> None:
    with pytest.raises(RosterFileError) as raised:
        parse_roster("r.csv", b"\r\n\r\n", ruleset=ruleset, today=TODAY, **LIMITS)
    assert raised.value.code == "no_header"


def test_the_digest_message_stays_within_telegram_limits() -> None:
    row = DigestRow(
        full_name="Очень Длинное Имя " * 20,
        position="2.7",
        position_name={"ru": "Специальный педагог " * 10},
        last_course_on=dt.date(2020, 1, 1),
        due_on=dt.date(2023, 1, 1),
        days_left=-1220,
        linked=False,
    )
    digest = Digest(
        organisation_id=1,
        organisation_name="Школа",
        today=TODAY,
        overdue=[row] * 400,
        due_soon=[row] * 400,
        total=800,
    )
    for language in ("kk", "ru", "en"):
        text = digest_text(digest, language, 90)
        assert len(text) <= MESSAGE_LIMIT
    assert "…and 385 more (see the file)" in digest_text(digest, "en", 90)


def test_a_numeric_position_that_may_have_lost_a_zero_is_reported(ruleset: Ruleset) -> None:
    rows: list[list[object]] = [["ФИО", "Должность", "Дата последнего курса", "Категория"]]
    rows += [["Ким Анна", 2.1, "01.02.2024", "педагог"]]  # 2.1 or 2.10?
    rows += [["Ли Ольга", 2.4, "01.02.2024", "педагог"]]  # 2.40 does not exist: 2.4
    rows += [["Ахметов Ерлан", "2.10", "01.02.2024", "педагог"]]  # text: exactly 2.10
    parsed = parse_roster("r.xlsx", xlsx_bytes(rows), ruleset=ruleset, today=TODAY, **LIMITS)
    assert [(error.line, error.code) for error in parsed.errors] == [(2, "ambiguous_position")]
    assert [(row.full_name, row.position_id) for row in parsed.rows] == [
        ("Ли Ольга", "2.4"),
        ("Ахметов Ерлан", "2.10"),
    ]
