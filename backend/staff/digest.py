"""The weekly digest of an organisation's roster: who is overdue, who is due soon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DigestRow:
    full_name: str
    position: str | None  # position id of the rules data ("2.4"), None when not given
    position_name: dict[str, str]  # {"kk": ..., "ru": ..., "en": ...}; empty without a position
    last_course_on: dt.date | None
    due_on: dt.date | None
    days_left: int | None  # negative: overdue by that many days
    linked: bool  # the teacher opened their invitation and uses the bot


@dataclass(frozen=True)
class Digest:
    organisation_id: int
    organisation_name: str
    today: dt.date
    overdue: list[DigestRow] = field(default_factory=list)  # most overdue first
    due_soon: list[DigestRow] = field(default_factory=list)  # soonest first
    without_date: list[DigestRow] = field(default_factory=list)  # no course date known
    total: int = 0  # roster entries


DIGEST_LIST_LIMIT = 15  # names per section in the message; the attachment has everyone
NAME_LIMIT = 60  # characters of a name in the message (positions are in the file only)
MESSAGE_LIMIT = 4000  # Telegram takes 4096 characters

_TEXT = {
    "title": {
        "kk": "📋 Апталық шолу: {org}",
        "ru": "📋 Еженедельная сводка: {org}",
        "en": "📋 Weekly digest: {org}",
    },
    "title_now": {  # the same lists asked for at any time: not "weekly"
        "kk": "📋 Курстар бойынша шолу: {org}",
        "ru": "📋 Сводка по курсам: {org}",
        "en": "📋 Course digest: {org}",
    },
    "overdue": {
        "kk": "⛔ Курс мерзімі өткен ({count}):",
        "ru": "⛔ Срок курса истёк ({count}):",
        "en": "⛔ Overdue ({count}):",
    },
    "due_soon": {
        "kk": "⏳ {days} күн ішінде курс өту керек ({count}):",
        "ru": "⏳ Курс нужно пройти в ближайшие {days} дней ({count}):",
        "en": "⏳ Due within {days} days ({count}):",
    },
    "without_date": {
        "kk": "❔ Курс күні белгісіз: {count}",
        "ru": "❔ Дата курса неизвестна: {count}",
        "en": "❔ No course date: {count}",
    },
    "all_good": {
        "kk": "✅ Мерзімі өткен де, жақында өтетін де курс жоқ.",
        "ru": "✅ Нет ни просроченных, ни близких сроков курсов.",
        "en": "✅ Nobody is overdue or due soon.",
    },
    "more": {
        "kk": "…және тағы {count} (толығы файлда)",
        "ru": "…и ещё {count} (полный список в файле)",
        "en": "…and {count} more (see the file)",
    },
    "total": {
        "kk": "Тізімде барлығы: {count}",
        "ru": "Всего в списке: {count}",
        "en": "On the roster: {count}",
    },
    "overdue_by": {
        "kk": "{days} күн өтті",
        "ru": "просрочено на {days} дн.",
        "en": "{days} days late",
    },
    "days_left": {"kk": "{days} күн қалды", "ru": "осталось {days} дн.", "en": "{days} days left"},
    "caption": {
        "kk": "Апталық шолу файлы: {org}",
        "ru": "Файл еженедельной сводки: {org}",
        "en": "Weekly digest file: {org}",
    },
}
LANGUAGES = ("kk", "ru", "en")

HEADER = {
    "kk": (
        "Аты-жөні",
        "Лауазымы",
        "Соңғы курс",
        "Мерзімі",
        "Қалған күн",
        "Ботқа қосылған",
        "Күйі",
    ),
    "ru": (
        "ФИО",
        "Должность",
        "Последний курс",
        "Срок",
        "Осталось дней",
        "Подключён к боту",
        "Статус",
    ),
    "en": (
        "Full name",
        "Position",
        "Last course",
        "Due on",
        "Days left",
        "Uses the bot",
        "Status",
    ),
}
STATUS = {
    "overdue": {"kk": "мерзімі өткен", "ru": "просрочен", "en": "overdue"},
    "due_soon": {"kk": "жақында", "ru": "скоро", "en": "due soon"},
    "without_date": {"kk": "күні белгісіз", "ru": "дата неизвестна", "en": "no date"},
}
YES_NO = {"kk": ("иә", "жоқ"), "ru": ("да", "нет"), "en": ("yes", "no")}


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "ru"


def _date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _line(row: DigestRow, language: str) -> str:
    days = row.days_left or 0
    when = (
        _TEXT["overdue_by"][language].format(days=-days)
        if days < 0
        else _TEXT["days_left"][language].format(days=days)
    )
    name = row.full_name if len(row.full_name) <= NAME_LIMIT else row.full_name[:NAME_LIMIT] + "…"
    return f"• {name} — {_date(row.due_on)} ({when})"


def _section(key: str, rows: list[DigestRow], language: str, **extra: int) -> list[str]:
    lines = [_TEXT[key][language].format(count=len(rows), **extra)]
    lines += [_line(row, language) for row in rows[:DIGEST_LIST_LIMIT]]
    if len(rows) > DIGEST_LIST_LIMIT:
        lines.append(_TEXT["more"][language].format(count=len(rows) - DIGEST_LIST_LIMIT))
    return lines


def digest_text(digest: Digest, language: str, due_soon_days: int, *, weekly: bool = True) -> str:
    """The digest message in one language; long lists are cut (the file has everyone).

    ``weekly=False``: an export asked for now, titled without "weekly".
    """
    language = _language(language)
    title = _TEXT["title" if weekly else "title_now"][language]
    lines = [title.format(org=digest.organisation_name), ""]
    if digest.overdue:
        lines += [*_section("overdue", digest.overdue, language), ""]
    if digest.due_soon:
        lines += [*_section("due_soon", digest.due_soon, language, days=due_soon_days), ""]
    if not digest.overdue and not digest.due_soon:
        lines += [_TEXT["all_good"][language], ""]
    if digest.without_date:
        lines.append(_TEXT["without_date"][language].format(count=len(digest.without_date)))
    lines.append(_TEXT["total"][language].format(count=digest.total))
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def digest_texts(digest: Digest, due_soon_days: int) -> dict[str, str]:
    return {language: digest_text(digest, language, due_soon_days) for language in LANGUAGES}


def digest_captions(digest: Digest) -> dict[str, str]:
    return {
        language: _TEXT["caption"][language].format(org=digest.organisation_name)[:1000]
        for language in LANGUAGES
    }


def digest_table(digest: Digest, language: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The header and rows of the attachment: overdue, due soon, then unknown dates."""
    language = _language(language)
    yes, no = YES_NO[language]
    rows: list[list[Any]] = []
    for status, group in (
        ("overdue", digest.overdue),
        ("due_soon", digest.due_soon),
        ("without_date", digest.without_date),
    ):
        for row in group:
            rows.append(
                [
                    row.full_name,
                    row.position_name.get(language) or row.position or "",
                    row.last_course_on,
                    row.due_on,
                    row.days_left,
                    yes if row.linked else no,
                    STATUS[status][language],
                ]
            )
    return HEADER[language], rows


def digest_filename(digest: Digest, extension: str) -> str:
    return f"sanat-digest-{digest.organisation_id}-{digest.today.isoformat()}.{extension}"
