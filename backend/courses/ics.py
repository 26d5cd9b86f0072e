"""An RFC 5545 calendar with the due date and its reminders, to import into any calendar.

The due date is an all-day event; each rung of the reminder ladder is a VALARM at the start of
the allowed hours (09:00) that many days before, and the overdue reminders are one VALARM
repeating every ``overdue_every_days``. Lines are CRLF-terminated and folded at 75 octets
without splitting a UTF-8 character; text values are escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from backend.courses.citation import act_text
from backend.courses.cycle import ladder_days
from backend.courses.validation import format_date
from backend.i18n import translations
from backend.rules.schema import TestingWindow

LINE_OCTETS = 75
OVERDUE_REPEATS = 11  # a year of monthly overdue alarms; Sanat itself keeps reminding after
PRODID = "-//Sanat//Refresher courses//KK-RU"


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets; continuation lines start with one space (§3.1)."""
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1  # the leading space counts
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def duration(seconds: int) -> str:
    """A DURATION value such as -P179DT15H or PT9H."""
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    body = (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return f"{sign}P{body or 'T0M'}"


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _alarm(trigger_seconds: int, text: str, repeat: tuple[int, int] | None = None) -> list[str]:
    lines = [
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"TRIGGER;RELATED=START:{duration(trigger_seconds)}",
        f"DESCRIPTION:{escape_text(text)}",
    ]
    if repeat is not None:
        count, every_days = repeat
        lines += [f"REPEAT:{count}", f"DURATION:P{every_days}D"]
    return [*lines, "END:VALARM"]


def _all_day_event(
    uid: str, *, start: dt.date, end: dt.date, stamp: str, summary: str, description: str
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_date(start)}",
        f"DTEND;VALUE=DATE:{_date(end + dt.timedelta(days=1))}",  # DTEND is exclusive
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "TRANSP:TRANSPARENT",
    ]


def render_calendar(
    *,
    user_id: int,
    last_completed: dt.date,
    due: dt.date,
    period_years: int,
    act: str,
    reminder_days: Sequence[int],
    overdue_every_days: int,
    send_from: dt.time,
    now: dt.datetime,
    today: dt.date,
    language: str = "ru",
    windows: Iterable[TestingWindow] = (),
    window_notice_days: int = 14,
    testing_act: str = "",
) -> str:
    """The whole VCALENDAR text (CRLF line ends)."""
    t = translations(language)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    morning = send_from.hour * 3600 + send_from.minute * 60  # alarms at the allowed hour
    summary = t.gettext("Refresher course due: {date}").format(date=format_date(due))
    description = t.ngettext(
        "Teachers refresh their qualification at least once every {years} year. "
        "Last course: {last}. Source: {act}.",
        "Teachers refresh their qualification at least once every {years} years. "
        "Last course: {last}. Source: {act}.",
        period_years,
    ).format(years=period_years, last=format_date(last_completed), act=act_text(act, language))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        *_all_day_event(
            f"course-due-{user_id}-{due.isoformat()}@sanat",
            start=due,
            end=due,
            stamp=stamp,
            summary=summary,
            description=description,
        ),
    ]
    for day in ladder_days(reminder_days):
        lines += _alarm(morning - day * 86400, summary)
    lines += _alarm(
        overdue_every_days * 86400 + morning,
        summary,
        repeat=(OVERDUE_REPEATS, overdue_every_days),
    )
    lines.append("END:VEVENT")
    for window in windows:
        if window.start <= today:  # only windows still ahead
            continue
        title = t.gettext("National qualification testing")
        lines += _all_day_event(
            f"testing-{window.start.isoformat()}-{user_id}@sanat",
            start=window.start,
            end=window.end,
            stamp=stamp,
            summary=title,
            description=act_text(testing_act, language) if testing_act else "",
        )
        lines += _alarm(morning - window_notice_days * 86400, title)
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
