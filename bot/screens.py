"""Screens of the bot as pure functions: (text, keyboard) from the dialog and the rules data.

Texts are HTML (the bot's default parse mode): everything from data or users is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses.validation import PROVIDERS, format_date
from backend.models import CourseRecord
from backend.rules.loader import Ruleset
from backend.rules.questions import Question
from backend.rules.search import position_sort_key
from bot import texts
from bot.dialog import Dialog
from bot.keyboards.callback_data import (
    CHECK_ALL,
    CHECK_DONE,
    CHECK_NONE,
    CHECK_UNKNOWN,
    AnswerCallback,
    ChecklistCallback,
    CourseCallback,
    CourseDoneCallback,
    CourseEditCallback,
    MenuCallback,
    NavCallback,
    OrgKindCallback,
    PositionCallback,
    PositionPageCallback,
    ProviderCallback,
    ResultCallback,
    ReviewCallback,
)

PAGE_SIZE = 8
BUTTON_TEXT_LIMIT = 60


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None


def short(text: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


STAFF_ROLES = frozenset({"staff", "admin"})
CURATOR_ROLES = frozenset({"curator", "admin"})


def menu_screen(roles: Iterable[str] = ()) -> Screen:
    """The main menu; staff and curators see their sections too."""
    held = set(roles)
    builder = InlineKeyboardBuilder()
    items = [
        ("assess", _("📝 Self-assessment")),
        ("courses", _("📚 My courses")),
        ("reminders", _("⏰ Reminders")),
        ("news", _("📰 News")),
    ]
    if held & STAFF_ROLES:
        items.append(("org", _("🏫 My organisation")))
    if held & CURATOR_ROLES:
        items.append(("bcast", _("📣 Broadcasts")))
        items.append(("chans", _("📡 Channels")))
    items += [
        ("lang", _("🌐 Language")),
        ("help", _("❓ Help")),
        ("delete", _("🗑 Delete my data")),
    ]
    for item, label in items:
        builder.button(text=label, callback_data=MenuCallback(item=item))
    builder.adjust(1, 2, 2, 2, 2)
    return Screen(_("What would you like to do?"), builder.as_markup())


def org_kinds(ruleset: Ruleset) -> list[str]:
    return list(ruleset.meta.org_kinds)


def org_kind_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for index, kind in enumerate(org_kinds(ruleset)):
        label = ruleset.meta.org_kinds[kind].get(lang)  # type: ignore[index]
        builder.button(text=short(label), callback_data=OrgKindCallback(t=dialog.token, k=index))
    builder.button(text=_("✖ Cancel"), callback_data=NavCallback(t=dialog.token, a="cancel"))
    builder.adjust(1)
    text = _(
        "Where do you work? Choose the kind of organisation, or just type the name of your "
        "position (for example: «учитель», «тәрбиеші»)."
    )
    return Screen(text, builder.as_markup())


def positions_of_kind(ruleset: Ruleset, kind: str) -> list[str]:
    ids = [pid for pid, p in ruleset.positions.items() if p.org_kind == kind]
    return sorted(ids, key=position_sort_key)


def positions_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    kinds = org_kinds(ruleset)
    kind = dialog.org_kind or kinds[0]
    ids = positions_of_kind(ruleset, kind)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(dialog.page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for pid in ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        name = ruleset.positions[pid].name.get(lang)
        builder.button(text=short(name), callback_data=PositionCallback(t=dialog.token, id=pid))
    sizes = [1] * len(ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
    index = kinds.index(kind)
    nav = 0
    if page > 0:
        builder.button(
            text="◀", callback_data=PositionPageCallback(t=dialog.token, k=index, p=page - 1)
        )
        nav += 1
    if page < pages - 1:
        builder.button(
            text="▶", callback_data=PositionPageCallback(t=dialog.token, k=index, p=page + 1)
        )
        nav += 1
    if nav:
        sizes.append(nav)
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=dialog.token, a="kinds"))
    sizes.append(1)
    builder.adjust(*sizes)
    kind_name = ruleset.meta.org_kinds[kind].get(lang)  # type: ignore[index]
    text = _("{kind}: choose your position (page {page} of {pages}), or type its name.").format(
        kind=escape(kind_name), page=page + 1, pages=pages
    )
    return Screen(text, builder.as_markup())


def search_screen(
    dialog: Dialog, ruleset: Ruleset, lang: str, found: list[str], query: str
) -> Screen:
    builder = InlineKeyboardBuilder()
    for pid in found:
        builder.button(
            text=short(ruleset.positions[pid].name.get(lang)),
            callback_data=PositionCallback(t=dialog.token, id=pid),
        )
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=dialog.token, a="kinds"))
    builder.adjust(1)
    if found:
        text = _("Positions matching «{query}»:").format(query=escape(query))
    else:
        text = _(
            "No position matches «{query}». Check the spelling, try another word, or choose "
            "from the list."
        ).format(query=escape(query))
    return Screen(text, builder.as_markup())


def progress(dialog: Dialog, question: Question) -> str:
    current = len(dialog.history) + 1
    total = current + question.remaining - 1
    return _("Step {current} of about {total}").format(current=current, total=total)


def question_screen(dialog: Dialog, question: Question, ruleset: Ruleset, lang: str) -> Screen:
    assert dialog.position is not None
    position = ruleset.positions[dialog.position]
    lines = [
        f"<i>{escape(short(position.name.get(lang), 80))}</i>",
        f"<i>{progress(dialog, question)}</i>",
        "",
        f"<b>{escape(texts.question_text(question.fact, ruleset, lang, dialog.position))}</b>",
    ]
    builder = InlineKeyboardBuilder()
    sizes: list[int] = []
    token, step = dialog.token, dialog.step
    if question.kind in ("choice", "category"):
        for index, option in enumerate(question.options):
            names = question.option_names.get(option)
            label = (
                names.get(lang, names.get("ru", option))
                if names
                else texts.option_label(question.fact, option, ruleset, lang)
            )
            builder.button(
                text=short(label), callback_data=AnswerCallback(t=token, s=step, v=str(index))
            )
            sizes.append(1)
    elif question.kind == "boolean":
        builder.button(text=texts.yes(), callback_data=AnswerCallback(t=token, s=step, v="y"))
        builder.button(text=texts.no(), callback_data=AnswerCallback(t=token, s=step, v="n"))
        sizes.append(2)
    elif question.kind == "years":
        lines.append(_("Type the number of years, for example 5 or 5,5."))
    elif question.kind == "competencies":
        for number, item in enumerate(question.items, start=1):
            mark = "☑" if item["id"] in dialog.checklist else "☐"
            lines.append(f"{mark} {number}. {escape(item.get(lang) or item['ru'])}")
        for number, item in enumerate(question.items, start=1):
            mark = "☑" if item["id"] in dialog.checklist else "☐"
            builder.button(
                text=f"{mark} {number}",
                callback_data=ChecklistCallback(t=token, s=step, i=number - 1),
            )
        sizes.extend(
            [5] * (len(question.items) // 5)
            + ([len(question.items) % 5] if len(question.items) % 5 else [])
        )
        builder.button(
            text=_("All of these"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_ALL)
        )
        builder.button(
            text=_("None of these"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_NONE)
        )
        builder.button(
            text=_("✔ Done"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_DONE)
        )
        sizes.extend([2, 1])
    if question.kind == "competencies":
        builder.button(
            text=texts.dont_know(),
            callback_data=ChecklistCallback(t=token, s=step, i=CHECK_UNKNOWN),
        )
    else:
        builder.button(
            text=texts.dont_know(), callback_data=AnswerCallback(t=token, s=step, v="u")
        )
    sizes.append(1)
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=token, a="back"))
    nav = 1
    if dialog.history:
        builder.button(text=_("📋 My answers"), callback_data=NavCallback(t=token, a="review"))
        nav += 1
    sizes.append(nav)
    builder.adjust(*sizes)
    return Screen("\n".join(lines), builder.as_markup())


def review_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    from backend.services.assessments import get_fact

    assert dialog.position is not None
    position = ruleset.positions[dialog.position]
    lines = [f"<b>{escape(position.name.get(lang))}</b>", _("Your answers:"), ""]
    builder = InlineKeyboardBuilder()
    for index, fact in enumerate(dialog.history):
        value = get_fact(dialog.answers, fact)
        label = texts.answer_label(fact, value, ruleset, lang)
        lines.append(
            f"{index + 1}. {escape(_short_fact(fact, ruleset, lang))}: <b>{escape(label)}</b>"
        )
        builder.button(
            text=f"✎ {index + 1}", callback_data=ReviewCallback(t=dialog.token, i=index)
        )
    columns = [5] * (len(dialog.history) // 5) + (
        [len(dialog.history) % 5] if len(dialog.history) % 5 else []
    )
    builder.button(text=_("▶ Continue"), callback_data=NavCallback(t=dialog.token, a="continue"))
    builder.adjust(*columns, 1)
    lines += ["", _("Press ✎ and a number to change that answer; the others are kept.")]
    return Screen("\n".join(lines), builder.as_markup())


def _short_fact(fact: str, ruleset: Ruleset, lang: str) -> str:
    if fact.startswith("experience."):
        return _("Years of {kind}").format(kind=texts.experience_kind(fact.split(".")[1]))
    if fact.startswith("competencies."):
        name = ruleset.category_name(fact.split(".")[1], lang)  # type: ignore[arg-type]
        return _("Requirements for «{category}»").format(category=name)
    return texts.question_text(fact, ruleset, lang, "")


def result_keyboard(dialog: Dialog, saved: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📜 The clause's text"), callback_data=ResultCallback(t=dialog.token, a="clause")
    )
    if not saved:
        builder.button(
            text=_("💾 Save my answers"), callback_data=ResultCallback(t=dialog.token, a="save")
        )
    builder.button(
        text=_("🖼 Save as picture"), callback_data=ResultCallback(t=dialog.token, a="pic")
    )
    builder.button(
        text=_("✎ Change answers"), callback_data=ResultCallback(t=dialog.token, a="review")
    )
    builder.button(
        text=_("🔁 New assessment"), callback_data=ResultCallback(t=dialog.token, a="new")
    )
    builder.button(text=_("🏠 Menu"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    return builder.as_markup()


# --- refresher courses ------------------------------------------------------------------------
def provider_label(provider: str) -> str:
    labels = {"orleu": _("Orleu"), "talap": _("Talap"), "other": _("Other provider")}
    return labels.get(provider, provider)


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
) -> Screen:
    """My courses: the due date, the recorded courses, and what can be done with them."""
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
                f"• {format_date(course.completed_on)} — {escape(course.title)} "
                f"({escape(provider_label(course.provider))})"
            )
    lines.append("")
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
                date=format_date(course.completed_on), title=short(course.title, 30)
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


def course_detail_screen(course: CourseRecord, due: dt.date | None, today: dt.date) -> Screen:
    """One recorded course: every field, and a button to change each of them."""
    assert course.id is not None
    missing = _("not given")
    hours = str(course.hours) if course.hours is not None else missing
    number = escape(course.certificate_number) if course.certificate_number else missing
    attached = _("attached") if course.certificate_file_id is not None else _("not attached")
    lines = [
        f"<b>{escape(course.title)}</b>",
        "",
        _("Completed on: {date}").format(date=format_date(course.completed_on)),
        _("Provider: {provider}").format(provider=escape(provider_label(course.provider))),
        _("Hours: {hours}").format(hours=hours),
        _("Certificate number: {number}").format(number=number),
        _("Certificate file: {state}").format(state=attached),
    ]
    if due is not None:
        lines += ["", due_line(due, today)]
    builder = InlineKeyboardBuilder()
    for field, label in (
        ("date", _("✏️ Date")),
        ("title", _("✏️ Title")),
        ("prov", _("✏️ Provider")),
        ("hours", _("✏️ Hours")),
        ("num", _("✏️ Certificate number")),
        (
            "file",
            _("📎 Replace the file")
            if course.certificate_file_id is not None
            else _("📎 Attach a file"),
        ),
    ):
        builder.button(text=label, callback_data=CourseEditCallback(id=course.id, f=field))
    builder.button(text=_("🗑 Delete"), callback_data=CourseCallback(a="del", id=course.id))
    builder.button(text=_("⬅ Back"), callback_data=CourseCallback(a="open"))
    builder.adjust(2, 2, 2, 1, 1)
    return Screen("\n".join(lines), builder.as_markup())


def edit_providers_screen(course_id: int) -> Screen:
    """A new provider for a recorded course; Cancel goes back to the course."""
    return _provider_question(
        lambda provider: CourseEditCallback(id=course_id, f="prov", v=provider),
        CourseCallback(a="show", id=course_id),
    )
