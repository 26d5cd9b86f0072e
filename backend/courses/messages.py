"""Reminder messages as data: kk and ru texts and buttons, stored in the outbox payload.

The delivery worker picks the recipient's language at send time, so both are written here.
Callback data names the cycle (its due date), not the user: the bot identifies the user by the
Telegram sender (callback data is never proof of identity) and can ignore a button pressed on
a message of a cycle that has since been superseded by a new course.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.courses.preferences import SNOOZE_DAYS
from backend.courses.validation import format_date

COURSE_KIND = "course_reminder"
TESTING_KIND = "testing_reminder"
Payload = dict[str, Any]


def ru_plural(count: int, one: str, few: str, many: str) -> str:
    """Russian noun form for a count: 1 день, 2 дня, 5 дней, 21 день, 11 дней."""
    tail, tens = count % 10, count % 100
    if tail == 1 and tens != 11:
        return one
    if 2 <= tail <= 4 and not 12 <= tens <= 14:
        return few
    return many


def _ru_days(count: int) -> str:
    return f"{count} {ru_plural(count, 'день', 'дня', 'дней')}"


def _ru_years(count: int) -> str:
    return f"{count} {ru_plural(count, 'год', 'года', 'лет')}"


def _button(kk: str, ru: str, data: str) -> dict[str, Any]:
    return {"text": {"kk": kk, "ru": ru}, "callback_data": data}


def course_buttons(due: dt.date) -> list[list[dict[str, Any]]]:
    cycle = due.isoformat()
    return [
        [
            _button(
                f"⏰ {SNOOZE_DAYS} күнге кейінге қалдыру",
                f"⏰ Отложить на {_ru_days(SNOOZE_DAYS)}",
                f"rem:snooze:{cycle}",
            )
        ],
        [_button("✅ Курсты өттім", "✅ Я прошёл(а) курс", f"rem:done:{cycle}")],
        [_button("🔕 Бұл еске салуларды тоқтату", "🔕 Больше не напоминать", f"rem:stop:{cycle}")],
    ]


def course_texts(due: dt.date, days_left: int, period_years: int, act: str) -> dict[str, str]:
    when = format_date(due)
    if days_left > 0:
        kk = f"Келесі курсты {when} дейін өту керек — {days_left} күн қалды."
        ru = f"Следующий курс нужно пройти до {when} — осталось {_ru_days(days_left)}."
    elif days_left == 0:
        kk = f"Бүгін ({when}) — келесі курстың соңғы мерзімі."
        ru = f"Сегодня ({when}) — крайний срок следующего курса."
    else:
        kk = f"Курс мерзімі {when} өтіп кетті ({-days_left} күн бұрын)."
        ru = f"Срок курса истёк {when} ({_ru_days(-days_left)} назад)."
    return {
        "kk": (
            f"📚 Біліктілікті арттыру курсы\n{kk}\n"
            f"Педагогтер біліктілігін {period_years} жылда кемінде бір рет арттырады ({act})."
        ),
        "ru": (
            f"📚 Повышение квалификации\n{ru}\n"
            "Педагоги повышают квалификацию не реже одного раза в "
            f"{_ru_years(period_years)} ({act})."
        ),
    }


def course_payload(
    due: dt.date, days_left: int, milestone: str, period_years: int, act: str
) -> Payload:
    return {
        "text": course_texts(due, days_left, period_years, act),
        "buttons": course_buttons(due),
        "due": due.isoformat(),
        "milestone": milestone,
    }


def testing_payload(
    start: dt.date, end: dt.date, days_left: int, act: str, *, phase: str
) -> Payload:
    """A testing window reminder: before it opens (``days_left`` until the first day) or before
    it closes (``days_left`` until the last day; 0 on the last day itself)."""
    span = f"{format_date(start)} – {format_date(end)}"
    if phase == "closes":
        kk_when = "бүгін соңғы күн" if days_left == 0 else f"жабылуына {days_left} күн қалды"
        ru_when = (
            "сегодня последний день"
            if days_left == 0
            else f"до закрытия осталось {_ru_days(days_left)}"
        )
        kk = f"📝 Ұлттық біліктілік тестілеуінің терезесі {span} жабылады ({kk_when})."
        ru = (
            f"📝 Окно национального квалификационного тестирования {span} закрывается ({ru_when})."
        )
    else:
        kk = f"📝 Ұлттық біліктілік тестілеуі {span} аралығында өтеді ({days_left} күн қалды)."
        ru = (
            f"📝 Национальное квалификационное тестирование пройдёт {span} "
            f"(осталось {_ru_days(days_left)})."
        )
    return {
        "text": {"kk": f"{kk}\nНегіз: {act}.", "ru": f"{ru}\nОснование: {act}."},
        "buttons": [
            [
                _button(
                    "🔕 Бұл еске салуларды тоқтату", "🔕 Больше не напоминать", "rem:stop:testing"
                )
            ]
        ],
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "phase": phase,
    }
