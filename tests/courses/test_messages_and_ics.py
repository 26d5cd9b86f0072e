"""Reminder texts as data, and the .ics calendar: folding, CRLF, escaping, alarms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.courses import messages
from backend.courses.ics import duration, escape_text, fold, render_calendar
from backend.courses.messages import course_payload
from backend.rules import schema
from tests.rendering import button_labels, rendered


def test_russian_plurals_come_from_the_catalog() -> None:
    texts = [
        rendered(course_payload(dt.date(2026, 5, 10), n, "d", 3, "ТжКОББ"), "ru")
        for n in (1, 2, 5, 11, 12, 21, 22, 25, 111)
    ]
    assert [
        f"осталось {n}" in text
        for n, text in zip((1, 2, 5, 11, 12, 21, 22, 25, 111), texts, strict=True)
    ] == [True] * 9
    assert [text.split("осталось ")[1].split(".")[0].split()[1] for text in texts] == [
        "день",
        "дня",
        "дней",
        "дней",
        "дней",
        "день",
        "дня",
        "дней",
        "дней",
    ]


def test_payload_has_both_languages_buttons_and_the_cycle() -> None:
    act = "Нұсқаулық-әдістемелік ұсынымдар 2022-2023 (ТжКОББ)"
    payload = course_payload(dt.date(2026, 5, 10), 7, "d7", 3, act)
    assert "message_key" in payload["parts"][0]  # translated when sent, not before
    kk, ru = rendered(payload, "kk"), rendered(payload, "ru")
    assert "10.05.2026" in kk
    assert "осталось 7 дней" in ru
    assert "3 жылда" in kk
    assert "3 года" in ru
    # each language cites the source in its own words
    assert "(ТжКОББ)" in kk
    assert "ТжКОББ" not in ru
    assert "Инструктивно-методические рекомендации" in ru
    assert button_labels(payload, "kk")[1] == "✅ Курсты өттім"
    assert button_labels(payload, "ru") == [
        "⏰ Отложить на 7 дней",
        "✅ Я прошёл(а) курс",
        "🔕 Больше не напоминать",
    ]
    data = [button["callback_data"] for row in payload["buttons"] for button in row]
    assert data == ["rem:snooze:2026-05-10", "rem:done:2026-05-10", "rem:stop:2026-05-10"]
    assert all(len(item.encode()) <= 64 for item in data)
    overdue = course_payload(dt.date(2026, 5, 10), -31, "o30", 3, "ТжКОББ")
    assert "31 день назад" in rendered(overdue, "ru")
    assert "31 күн бұрын" in rendered(overdue, "kk")
    assert "ТжКОББ" in rendered(overdue, "ru")  # an act the catalog does not know: as in the data


def test_testing_reminder_cites_in_the_readers_language() -> None:
    act = "Нұсқаулық-әдістемелік ұсынымдар 2022-2023 (ТжКОББ); ҚР БҒМ 08.04.2022 №146 бұйрығы"
    payload = messages.testing_payload(dt.date(2027, 4, 11), dt.date(2027, 4, 29), 14, act)
    kk, ru = rendered(payload, "kk"), rendered(payload, "ru")
    assert "Ұлттық біліктілік тестілеуі" in kk
    assert "бұйрығы" in kk
    assert "осталось 14 дней" in ru
    assert "№ 146" in ru
    assert "бұйрығы" not in ru
    assert [b["callback_data"] for row in payload["buttons"] for b in row] == ["rem:stop:testing"]
    closing = messages.testing_payload(
        dt.date(2027, 4, 11), dt.date(2027, 4, 29), 3, act, phase="closes"
    )
    assert "до закрытия осталось дней: 3" in rendered(closing, "ru")
    assert "№ 146" in rendered(closing, "ru")
    assert "жабылуына 3 күн қалды" in rendered(closing, "kk")
    assert "бұйрығы" in rendered(closing, "kk")
    last = messages.testing_payload(
        dt.date(2027, 4, 11), dt.date(2027, 4, 29), 0, act, phase="closes"
    )
    assert "сегодня последний день" in rendered(last, "ru")
    assert "бүгін соңғы күн" in rendered(last, "kk")


def test_escaping_and_folding() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "DESCRIPTION:" + "Біліктілікті арттыру " * 10
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line  # unfolds losslessly
    assert duration(9 * 3600 - 180 * 86400) == "-P179DT15H"
    assert duration(9 * 3600) == "PT9H"
    assert duration(30 * 86400 + 9 * 3600) == "P30DT9H"


def test_calendar() -> None:
    arguments: dict[str, Any] = {
        "user_id": 7,
        "last_completed": dt.date(2024, 2, 29),
        "due": dt.date(2027, 2, 28),
        "period_years": 3,
        "act": "Нұсқаулық-әдістемелік ұсынымдар 2022-2023 (ТжКОББ)",
        "reminder_days": [180, 90, 30, 7, 0],
        "overdue_every_days": 30,
        "send_from": dt.time(9, 0),
        "now": dt.datetime(2026, 11, 22, 5, 0, tzinfo=dt.UTC),
        "today": dt.date(2026, 11, 22),
        "windows": [
            schema.TestingWindow(start=dt.date(2022, 4, 11), end=dt.date(2022, 4, 29)),
            schema.TestingWindow(start=dt.date(2027, 4, 11), end=dt.date(2027, 4, 29)),
        ],
        "testing_act": "№146",
    }
    body = render_calendar(**arguments)
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20270228" in unfolded
    assert "DTEND;VALUE=DATE:20270301" in unfolded
    assert "UID:course-due-7-2027-02-28@sanat" in unfolded
    assert "DTSTAMP:20261122T050000Z" in unfolded
    assert "TRIGGER;RELATED=START:-P179DT15H" in unfolded
    assert "TRIGGER;RELATED=START:PT9H" in unfolded
    assert "TRIGGER;RELATED=START:P30DT9H" in unfolded
    assert "REPEAT:11" in unfolded
    assert unfolded.count("BEGIN:VALARM") == 7  # five rungs, the overdue one, one window
    assert "Последний курс: 29.02.2024" in unfolded
    assert "Основание: Инструктивно-методические рекомендации" in unfolded
    assert "ТжКОББ" not in unfolded  # a Russian calendar cites in Russian
    kazakh = render_calendar(**{**arguments, "language": "kk"}).replace("\r\n ", "")
    assert "(ТжКОББ)" in kazakh
    assert "Соңғы курс: 29.02.2024" in kazakh
    assert "DTSTART;VALUE=DATE:20270411" in unfolded  # the past window is left out
    assert "20220411" not in unfolded
    assert unfolded.count("BEGIN:VEVENT") == unfolded.count("END:VEVENT") == 2
