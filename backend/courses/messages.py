"""Reminder messages as data: message keys of the ``locales/`` catalogs and their parameters,
stored in the outbox payload and translated into the recipient's language when sent.

Callback data names the cycle (its due date), not the user: the bot identifies the user by the
Telegram sender (callback data is never proof of identity) and can ignore a button pressed on
a message of a cycle that has since been superseded by a new course.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.courses.citation import act_message
from backend.courses.preferences import SNOOZE_DAYS
from backend.courses.validation import format_date
from backend.i18n import N_, Message, msg, msg_plural

COURSE_KIND = "course_reminder"
TESTING_KIND = "testing_reminder"
Payload = dict[str, Any]


def _button(label: Message, data: str) -> dict[str, Any]:
    return {**label, "callback_data": data}


def _stop_button(cycle: str) -> dict[str, Any]:
    return _button(msg(N_("🔕 Stop these reminders")), f"rem:stop:{cycle}")


def course_buttons(due: dt.date) -> list[list[dict[str, Any]]]:
    cycle = due.isoformat()
    snooze = msg_plural(
        "⏰ Snooze for {days} day",
        "⏰ Snooze for {days} days",
        SNOOZE_DAYS,
        days=SNOOZE_DAYS,
    )
    return [
        [_button(snooze, f"rem:snooze:{cycle}")],
        [_button(msg(N_("✅ I've done the course")), f"rem:done:{cycle}")],
        [_stop_button(cycle)],
    ]


def course_parts(due: dt.date, days_left: int, period_years: int, act: str) -> list[Message]:
    """The reminder's lines: the heading, how far the due date is, and the rule with its source."""
    when = format_date(due)
    if days_left > 0:
        status = msg_plural(
            "The next course must be completed by {date}: {days} day left.",
            "The next course must be completed by {date}: {days} days left.",
            days_left,
            date=when,
            days=days_left,
        )
    elif days_left == 0:
        status = msg(N_("Today ({date}) is the deadline of the next course."), date=when)
    else:
        status = msg_plural(
            "The course deadline {date} has passed ({days} day ago).",
            "The course deadline {date} has passed ({days} days ago).",
            -days_left,
            date=when,
            days=-days_left,
        )
    rule = msg_plural(
        "Teachers refresh their qualification at least once every {years} year ({act}).",
        "Teachers refresh their qualification at least once every {years} years ({act}).",
        period_years,
        years=period_years,
        act=act_message(act),
    )
    return [msg(N_("📚 Professional development")), status, rule]


def course_payload(
    due: dt.date, days_left: int, milestone: str, period_years: int, act: str
) -> Payload:
    return {
        "parts": course_parts(due, days_left, period_years, act),
        "buttons": course_buttons(due),
        "due": due.isoformat(),
        "milestone": milestone,
    }


def testing_payload(
    start: dt.date,
    end: dt.date,
    days_left: int,
    act: str,
    *,
    phase: str = "opens",  # noqa: PT028
) -> Payload:
    """A testing window reminder: before it opens (``days_left`` until the first day) or before
    it closes (``days_left`` until the last day; 0 on the last day itself)."""
    span = f"{format_date(start)} – {format_date(end)}"
    if phase == "closes":
        text = (
            msg(
                N_(
                    "📝 The national qualification testing window {span} closes "
                    "(today is the last day).\nSource: {act}."
                ),
                span=span,
                act=act_message(act),
            )
            if days_left == 0
            else msg_plural(
                "📝 The national qualification testing window {span} closes "
                "({days} day left until it closes).\nSource: {act}.",
                "📝 The national qualification testing window {span} closes "
                "({days} days left until it closes).\nSource: {act}.",
                days_left,
                span=span,
                days=days_left,
                act=act_message(act),
            )
        )
    else:
        text = msg_plural(
            "📝 The national qualification testing takes place {span} ({days} day left).\n"
            "Source: {act}.",
            "📝 The national qualification testing takes place {span} ({days} days left).\n"
            "Source: {act}.",
            days_left,
            span=span,
            days=days_left,
            act=act_message(act),
        )
    return {
        **text,
        "buttons": [[_stop_button("testing")]],
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "phase": phase,
    }
