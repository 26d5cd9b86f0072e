"""Refresher-course screens as pure functions: (text, keyboard) from the recorded courses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses.programmes import COURSE_KINDS, load_programmes
from backend.courses.validation import PROVIDERS, format_date, is_default_title
from backend.models import CourseRecord
from bot.handlers.courses.callbacks import (
    CourseCallback,
    CourseDoneCallback,
    CourseEditCallback,
    KindCallback,
    ProgrammeCallback,
    ProviderCallback,
)
from bot.shared.callbacks import MenuCallback
from bot.shared.screen import Screen, short

# --- refresher courses ------------------------------------------------------------------------


def provider_label(provider: str) -> str:
    labels = {"orleu": _("Orleu"), "talap": _("Talap"), "other": _("Other provider")}
    return labels.get(provider, provider)


def course_provider(course: CourseRecord) -> str:
    """Who ran the course: the typed name of an "other" organisation, else the provider."""
    if course.provider == "other" and course.provider_name:
        return course.provider_name
    return provider_label(course.provider)


def course_kind_label(kind: str) -> str:
    labels = {
        "short": _("Short course"),
        "long_term": _("Long-term programme"),
        "heads": _("Course for heads"),
        "other": _("Other course"),
    }
    return labels.get(kind, kind)


def programme_label(programme_id: str | None, language: str) -> str | None:
    """The programme's title with its clause of Order 266 para 26 (kk verbatim, ru a working
    translation)."""
    programme = load_programmes().get(programme_id) if programme_id else None
    if programme is None:
        return None
    return f"{programme.clause}) {programme.title(language)}"


def course_kinds_screen(course_id: int) -> Screen:
    """A new kind for a recorded course; Cancel goes back to the course."""
    return _kinds_question(
        lambda kind: CourseEditCallback(id=course_id, f="kind", v=kind),
        CourseCallback(a="show", id=course_id),
    )


def add_kinds_screen() -> Screen:
    """The kind of a course being added."""
    return _kinds_question(lambda kind: KindCallback(k=kind), CourseCallback(a="open"))


def _kinds_question(choice: Callable[[str], CallbackData], cancel: CallbackData) -> Screen:
    builder = InlineKeyboardBuilder()
    for kind in COURSE_KINDS:
        builder.button(text=course_kind_label(kind), callback_data=choice(kind))
    builder.button(text=_("✖ Cancel"), callback_data=cancel)
    builder.adjust(2, 2, 1)
    return Screen(
        _(
            "What kind of course was it? Long-term programmes are the seven of the refresher-"
            "course rules (Order 266, para 26)."
        ),
        builder.as_markup(),
    )


def programmes_screen(course_id: int, language: str) -> Screen:
    """A long-term programme for a recorded course; Cancel goes back to the course."""
    return _programmes_question(
        lambda programme: CourseEditCallback(id=course_id, f="prog", v=programme),
        [CourseCallback(a="show", id=course_id)],
        language,
    )


def add_programmes_screen(language: str) -> Screen:
    """The long-term programme of a course being added; Back returns to the kinds."""
    return _programmes_question(
        lambda programme: ProgrammeCallback(p=programme),
        [CourseCallback(a="kinds"), CourseCallback(a="open")],
        language,
    )


def _programmes_question(
    choice: Callable[[str], CallbackData], below: list[CallbackData], language: str
) -> Screen:
    """The seven programmes, listed in the text with their clause; a button per clause number,
    then Back (if ``below`` has two entries) and Cancel."""
    catalog = load_programmes()
    builder = InlineKeyboardBuilder()
    lines = [_("Which long-term programme (Order 266, para 26)?"), ""]
    for programme in catalog.programmes:
        lines.append(escape(programme_label(programme.id, language) or ""))
        builder.button(text=str(programme.clause), callback_data=choice(programme.id))
    *back, cancel = below
    for data in back:
        builder.button(text=_("⬅ Back"), callback_data=data)
    builder.button(text=_("✖ Cancel"), callback_data=cancel)
    builder.adjust(7, len(below))
    return Screen("\n".join(lines), builder.as_markup())


def due_line(due: dt.date, today: dt.date) -> str:
    days = (due - today).days
    when = format_date(due)
    if days > 0:
        return ngettext(
            "Next course due by <b>{date}</b>: {days} day left.",
            "Next course due by <b>{date}</b>: {days} days left.",
            days,
        ).format(date=when, days=days)
    if days == 0:
        return _("Next course due <b>today</b>, {date}.").format(date=when)
    return ngettext(
        "Next course was due by <b>{date}</b>: overdue by {days} day.",
        "Next course was due by <b>{date}</b>: overdue by {days} days.",
        -days,
    ).format(date=when, days=-days)


def courses_screen(
    courses: list[CourseRecord],
    due: dt.date | None,
    today: dt.date,
    *,
    stopped: bool,
    snoozed_until: dt.date | None = None,
    testing_window: tuple[dt.date, dt.date] | None = None,
) -> Screen:
    """My courses: the due date, the recorded courses, the next national testing window (a
    calendar row), and what can be done with them."""
    lines = [_("<b>📚 My courses</b>"), ""]
    if due is None:
        lines.append(
            _(
                "No course recorded yet. Add your latest refresher course, and Sanat will work "
                "out when the next one is due and remind you in time."
            )
        )
    else:
        lines.append(due_line(due, today))
        lines.append("")
        for course in courses:
            lines.append(
                f"• {format_date(course.completed_on)} — {escape(course_title(course))} "
                f"({escape(course_provider(course))})"
            )
    lines.append("")
    if testing_window is not None:
        start, end = testing_window
        text = (
            _("📝 National qualification testing: open now, until {end}.")
            if start <= today
            else _("📝 Next national qualification testing window: {start} – {end}.")
        )
        lines += [text.format(start=format_date(start), end=format_date(end)), ""]
    if stopped:
        lines.append(_("🔕 Reminders are off."))
    elif snoozed_until is not None and snoozed_until > today:
        lines.append(
            _("⏰ Reminders are snoozed until {date}.").format(date=format_date(snoozed_until))
        )
    else:
        lines.append(_("🔔 Reminders are on."))
    builder = InlineKeyboardBuilder()
    sizes = [1]
    builder.button(text=_("➕ Add a course"), callback_data=CourseCallback(a="add"))
    for course in courses:
        assert course.id is not None
        builder.button(
            text=_("📄 {date} {title}").format(
                date=format_date(course.completed_on), title=short(course_title(course), 30)
            ),
            callback_data=CourseCallback(a="show", id=course.id),
        )
        sizes.append(1)
    row = 0
    if due is not None:
        builder.button(text=_("📅 Calendar"), callback_data=CourseCallback(a="cal"))
        row += 1
    if courses:
        builder.button(text=_("🖼 Timeline"), callback_data=CourseCallback(a="tl"))
        row += 1
    if stopped:
        builder.button(text=_("🔔 Turn reminders on"), callback_data=CourseCallback(a="on"))
    else:
        builder.button(text=_("🔕 Turn reminders off"), callback_data=CourseCallback(a="off"))
    sizes.append(row + 1)
    builder.button(text=_("🏠 Menu"), callback_data=MenuCallback(item="home"))
    sizes.append(1)
    builder.adjust(*sizes)
    return Screen("\n".join(lines), builder.as_markup())


def done_when_screen(due: str) -> Screen:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Today"), callback_data=CourseDoneCallback(a="today", d=due))
    builder.button(text=_("Another date"), callback_data=CourseDoneCallback(a="other", d=due))
    builder.adjust(2)
    return Screen(_("When did you finish the course?"), builder.as_markup())


def _provider_question(choice: Callable[[str], CallbackData], cancel: CallbackData) -> Screen:
    """Who ran the course: a button per provider (``choice(provider)``), then Cancel."""
    builder = InlineKeyboardBuilder()
    for provider in PROVIDERS:
        builder.button(text=provider_label(provider), callback_data=choice(provider))
    builder.button(text=_("✖ Cancel"), callback_data=cancel)
    builder.adjust(3, 1)
    return Screen(_("Who ran the course?"), builder.as_markup())


def providers_screen() -> Screen:
    """The provider of a course being added."""
    return _provider_question(
        lambda provider: ProviderCallback(p=provider), CourseCallback(a="open")
    )


def course_title(course: CourseRecord) -> str:
    """The title as typed, or Sanat's default title in the reader's language."""
    return _("Refresher course") if is_default_title(course.title) else course.title


def course_detail_screen(
    course: CourseRecord, due: dt.date | None, today: dt.date, language: str = "ru"
) -> Screen:
    """One recorded course: every field, and a button to change each of them."""
    assert course.id is not None
    missing = _("not given")
    hours = str(course.hours) if course.hours is not None else missing
    number = escape(course.certificate_number) if course.certificate_number else missing
    attached = _("attached") if course.certificate_file_id is not None else _("not attached")
    lines = [
        f"<b>{escape(course_title(course))}</b>",
        "",
        _("Completed on: {date}").format(date=format_date(course.completed_on)),
        _("Provider: {provider}").format(provider=escape(course_provider(course))),
        _("Hours: {hours}").format(hours=hours),
        _("Certificate number: {number}").format(number=number),
        _("Certificate file: {state}").format(state=attached),
        _("Kind: {kind}").format(kind=escape(course_kind_label(course.course_kind))),
        _("Topic: {topic}").format(topic=escape(course.topic) if course.topic else missing),
    ]
    programme = programme_label(course.programme, language)
    if programme is not None:
        lines.insert(-1, _("Programme: {programme}").format(programme=escape(programme)))
    if due is not None:
        lines += ["", due_line(due, today)]
    builder = InlineKeyboardBuilder()
    for field, label in (
        ("date", _("✏️ Date")),
        ("title", _("✏️ Title")),
        ("prov", _("✏️ Provider")),
        ("hours", _("✏️ Hours")),
        ("num", _("✏️ Certificate number")),
        ("kind", _("✏️ Kind")),
        ("topic", _("✏️ Topic")),
        (
            "file",
            _("📎 Replace the file")
            if course.certificate_file_id is not None
            else _("📎 Attach a file"),
        ),
    ):
        builder.button(text=label, callback_data=CourseEditCallback(id=course.id, f=field))
    sizes = [2, 2, 2, 2]
    if course.certificate_file_id is not None:
        builder.button(
            text=_("👁 Show the certificate"), callback_data=CourseCallback(a="cert", id=course.id)
        )
        sizes.append(1)
    builder.button(text=_("🗑 Delete"), callback_data=CourseCallback(a="del", id=course.id))
    builder.button(text=_("⬅ Back"), callback_data=CourseCallback(a="open"))
    builder.adjust(*sizes, 1, 1)
    return Screen("\n".join(lines), builder.as_markup())


def edit_providers_screen(course_id: int) -> Screen:
    """A new provider for a recorded course; Cancel goes back to the course."""
    return _provider_question(
        lambda provider: CourseEditCallback(id=course_id, f="prov", v=provider),
        CourseCallback(a="show", id=course_id),
    )
