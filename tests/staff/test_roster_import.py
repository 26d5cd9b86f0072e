"""Roster import: good rows in, bad rows reported by line, whole-file refusals write nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from backend import staff
from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings, StaffSettings
from tests.staff.helpers import (
    HEADER_RU,
    TODAY,
    csv_bytes,
    new_organisation,
    roster,
    run_import,
    xlsx_bytes,
)


async def test_good_rows_go_in_and_bad_rows_are_reported_by_line(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    data = csv_bytes(
        [
            HEADER_RU,
            "Сапарова Айгүл;2.4;@aigul_s;10.05.2023;педагог-модератор",  # line 2: good
            ";2.4;;10.05.2023;педагог",  # 3: no name
            "Иванов Пётр;99.99;;10.05.2023;педагог",  # 4: unknown position
            "Ким Анна;2.4;;31.02.2023;педагог",  # 5: no such date
            "Ли Ольга;2.4;;01.01.2030;педагог",  # 6: future date
            "Ахметов Ерлан;2.4;;01.01.1980;педагог",  # 7: before 1991
            "Омаров Даурен;2.4;;10.05.2023;генерал",  # 8: unknown category
            "  сапарова   айгүл ;2.4;;10.05.2022;педагог",  # 9: same name as line 2
            "",  # 10: blank lines are skipped, not errors
            "Нурланова Дана;Воспитатель организации дошкольного воспитания и обучения;;"
            "2024-01-15;pedagog_expert",  # 11: position by name, ISO date, category by id
        ]
    )
    report = await run_import(session_pool, organisation_id, ruleset, data)
    assert (report.added, report.updated, report.rows_total) == (2, 0, 9)
    assert [(error.line, error.code) for error in report.errors] == [
        (3, "no_name"),
        (4, "unknown_position"),
        (5, "no_such_date"),  # 31.02.2023: the right format, no such day (issue 16)
        (6, "future_date"),
        (7, "date_too_old"),
        (8, "unknown_category"),
        (9, "duplicate"),
    ]
    assert report.errors[-1].detail == "2"
    entries = await roster(session_pool, organisation_id)
    assert set(entries) == {"Сапарова Айгүл", "Нурланова Дана"}
    aigul = entries["Сапарова Айгүл"]
    assert (aigul.position_id, aigul.username, aigul.last_course_on, aigul.category) == (
        "2.4",
        "aigul_s",
        dt.date(2023, 5, 10),
        "pedagog_moderator",
    )
    dana = entries["Нурланова Дана"]
    assert (dana.position_id, dana.last_course_on, dana.category) == (
        "2.4",
        dt.date(2024, 1, 15),
        "pedagog_expert",
    )


async def test_cp1251_with_semicolons_and_kazakh_headers(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    data = csv_bytes(
        ["ФИО;Должность;Дата последнего курса;Категория", "Иванова Ольга;2.2;01.09.2022;педагог"],
        encoding="cp1251",
    )
    report = await run_import(session_pool, organisation_id, ruleset, data)
    assert (report.added, report.errors) == (1, [])
    assert (await roster(session_pool, organisation_id))["Иванова Ольга"].position_id == "2.2"
    kazakh = csv_bytes(
        [
            "Аты-жөні,Лауазымы,Соңғы курс күні,Санаты",
            '"Серікова, Гүлнар",2.4,"01.02.2024",педагог-сарапшы',
        ]
    )
    report = await run_import(session_pool, organisation_id, ruleset, kazakh)
    assert (report.added, report.errors) == (1, [])
    entry = (await roster(session_pool, organisation_id))["Серікова, Гүлнар"]
    assert entry.category == "pedagog_expert"


async def test_xlsx_with_date_cells_and_bad_row_numbers(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    data = xlsx_bytes(
        [
            ["Full name", "Position", "Telegram username", "Last course date", "Category"],
            ["Dana Nurlan", "2.4", "dana_n", dt.datetime(2023, 3, 1), "teacher-expert"],
            ["Bad Date", "2.4", None, "someday", "teacher"],
            [None, None, None, None, None],
            ["Olga Lee", "2.1", None, "15.06.2021", None],
        ]
    )
    report = await run_import(session_pool, organisation_id, ruleset, data, filename="roster.xlsx")
    assert report.added == 2
    assert [(error.line, error.code, error.detail) for error in report.errors] == [
        (3, "bad_date", "someday")
    ]
    entries = await roster(session_pool, organisation_id)
    assert entries["Dana Nurlan"].last_course_on == dt.date(2023, 3, 1)
    assert entries["Dana Nurlan"].category == "pedagog_expert"
    assert entries["Olga Lee"].last_course_on == dt.date(2021, 6, 15)


async def test_reimport_updates_by_name_and_keeps_the_link(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    first = csv_bytes([HEADER_RU, "Сапарова Айгүл;2.4;;10.05.2023;педагог"])
    await run_import(session_pool, organisation_id, ruleset, first)
    second = csv_bytes(
        [HEADER_RU, "САПАРОВА  Айгүл;2.5;aigul_s;10.05.2024;", "Ким Анна;2.4;;01.01.2024;педагог"]
    )
    report = await run_import(session_pool, organisation_id, ruleset, second)
    assert (report.added, report.updated, report.errors) == (1, 1, [])
    entries = await roster(session_pool, organisation_id)
    assert len(entries) == 2
    updated = entries["САПАРОВА Айгүл"]
    assert (updated.position_id, updated.last_course_on, updated.username) == (
        "2.5",
        dt.date(2024, 5, 10),
        "aigul_s",
    )
    assert updated.category == "pedagog"  # an empty cell keeps what was stored


@pytest.mark.parametrize(
    ("data", "limits", "code"),
    [
        (b"x" * 2048, StaffSettings(roster_max_bytes=1024), "too_large"),
        (
            csv_bytes([HEADER_RU] + [f"Учитель {n};2.4;;10.05.2023;педагог" for n in range(4)]),
            StaffSettings(roster_max_rows=3),
            "too_many_rows",
        ),
        (b"\x00\x01\x02binary", StaffSettings(), "unreadable"),
        (b"PK\x03\x04not really a zip", StaffSettings(), "unreadable"),
        (csv_bytes(["a;b;c", "1;2;3"]), StaffSettings(), "no_header"),
        (csv_bytes(["ФИО;Должность", "Ким Анна;2.4"]), StaffSettings(), "missing_columns"),
    ],
)
async def test_a_refused_file_writes_nothing(
    session_pool: SessionPool,
    ruleset: Ruleset,
    data: bytes,
    limits: StaffSettings,
    code: str,
) -> None:
    organisation_id = await new_organisation(session_pool)
    with pytest.raises(staff.RosterFileError) as raised:
        await run_import(session_pool, organisation_id, ruleset, data, limits=limits)
    assert raised.value.code == code
    assert await roster(session_pool, organisation_id) == {}


async def test_too_many_rows_in_xlsx_is_refused(
    session_pool: SessionPool, ruleset: Ruleset
) -> None:
    organisation_id = await new_organisation(session_pool)
    rows: list[list[object]] = [["ФИО", "Должность", "Дата последнего курса", "Категория"]]
    rows += [[f"Учитель {n}", "2.4", "10.05.2023", "педагог"] for n in range(6)]
    with pytest.raises(staff.RosterFileError) as raised:
        await run_import(
            session_pool,
            organisation_id,
            ruleset,
            xlsx_bytes(rows),
            filename="r.xlsx",
            limits=StaffSettings(roster_max_rows=5),
        )
    assert (raised.value.code, raised.value.detail) == ("too_many_rows", "5")
    assert await roster(session_pool, organisation_id) == {}


async def test_a_database_failure_mid_import_leaves_nothing(
    session_pool: SessionPool, ruleset: Ruleset, settings: Settings
) -> None:
    organisation_id = await new_organisation(session_pool)
    # The rows reach the database (flush), then the commit fails: the rollback must undo them.
    data = csv_bytes(
        [HEADER_RU, "Ким Анна;2.4;;01.01.2024;педагог", "Ли Ольга;2.4;;01.01.2024;педагог"]
    )
    async with session_pool() as session:
        original = session.commit

        async def failing_commit() -> None:
            await session.flush()
            raise RuntimeError("disk full")

        session.commit = failing_commit  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            await staff.import_roster(
                session=session,
                organisation_id=organisation_id,
                filename="r.csv",
                data=data,
                limits=settings.staff,
                ruleset=ruleset,
                today=TODAY,
            )
        session.commit = original  # type: ignore[method-assign]
    assert await roster(session_pool, organisation_id) == {}
