"""My courses: the due date, recorded courses (add, delete), the calendar, reminder buttons.

The user is always the Telegram sender (``data["user"]``); callback data carries ids only.
Validation and storage belong to ``backend.courses`` and ``backend.services.courses``.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses import SNOOZE_DAYS, CourseInputError, validate_changes, validate_course
from backend.courses.ics import render_calendar
from backend.courses.timeline import render_timeline
from backend.courses.validation import MAX_TITLE, format_date
from backend.models import UserRead
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.services import assessments, courses
from backend.settings import Settings
from bot.flow import show
from bot.keyboards.callback_data import (
    CourseCallback,
    CourseDoneCallback,
    ProviderCallback,
    ReminderCallback,
)
from bot.screens import (
    Screen,
    courses_screen,
    done_when_screen,
    due_line,
    providers_screen,
)
from bot.states import CourseStates

KEY = "course"  # the course being added, in the FSM data
CALENDAR_FILENAME = "sanat-courses.ics"
TIMELINE_FILENAME = "timeline.png"
TESTING_NOTICE_DAYS = 14


def _today(deps: dict[str, Any]) -> dt.date:
    settings: Settings = deps["settings"]
    return assessments.today_in(settings.tz)


def input_hint(codes: list[str]) -> str:
    """A localized hint for the first problem the validation found."""
    code = codes[0] if codes else ""
    hints = {
        "date_format": _(
            "That is not a date I can read: please type it as DD.MM.YYYY, for example 15.03.2025."
        ),
        "date_invalid": _("There is no such date: please check the day and the month."),
        "date_future": _("That date is in the future: type the date you actually finished."),
        "date_too_early": _("That date is too early: please check the year."),
        "title_empty": _("Please type the course's title."),
        "title_too_long": _(
            "That title is too long: please keep it under {limit} characters."
        ).format(limit=MAX_TITLE),
    }
    return hints.get(code, _("Please check what you typed and try again."))


def _cancel_button() -> Any:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="open"))
    return builder.as_markup()


def date_question() -> Screen:
    return Screen(
        _("Type the date you finished the course as DD.MM.YYYY, for example 15.03.2025."),
        _cancel_button(),
    )


def title_question() -> Screen:
    return Screen(_("Type the course's title, as on the certificate."), _cancel_button())


async def open_courses(
    event: Message | CallbackQuery,
    state: FSMContext,
    *,
    notice: str | None = None,
    new: bool = False,
    **deps: Any,
) -> None:
    """Show My courses (leaving any half-typed course behind)."""
    if await state.get_state() in {s.state for s in CourseStates.__states__}:
        await state.set_state(None)
    user: UserRead = deps["user"]
    session = deps["session"]
    settings: Settings = deps["settings"]
    records = await courses.list_courses(session=session, user_id=user.id)
    due = await courses.next_due(session=session, user_id=user.id, ruleset=deps["ruleset"])
    preference = await courses.load_preference(session=session, user_id=user.id)
    snoozed = (
        preference.snoozed_until.astimezone(settings.tz).date()
        if preference is not None and preference.snoozed_until is not None
        else None
    )
    screen = courses_screen(
        records,
        due,
        _today(deps),
        stopped=preference is not None and preference.stopped,
        snoozed_until=snoozed,
    )
    if notice:
        screen = Screen(f"{notice}\n\n{screen.text}", screen.markup)
    await show(event, screen, new=new)


async def _record_completion(
    event: Message | CallbackQuery, state: FSMContext, raw_date: Any, **deps: Any
) -> None:
    """Store "I finished the course" on a date; raises CourseInputError when it is invalid."""
    course = validate_course(
        {"completed_on": raw_date, "title": _("Refresher course"), "provider": "other"},
        _today(deps),
    )
    await courses.add_course(session=deps["session"], user_id=deps["user"].id, course=course)
    notice = _("✅ Recorded: course completed on {date}.").format(
        date=format_date(course.completed_on)
    )
    await open_courses(event, state, notice=notice, new=isinstance(event, Message), **deps)


# --- the buttons under a reminder -------------------------------------------------------------
async def reminder_button(
    query: CallbackQuery,
    callback_data: ReminderCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    user: UserRead = deps["user"]
    session = deps["session"]
    if callback_data.a == "snooze":
        await courses.snooze_reminders(session=session, user_id=user.id, now=utcnow())
        callback_answer.text = ngettext(
            "Snoozed for {days} day. Sanat will remind you again after that.",
            "Snoozed for {days} days. Sanat will remind you again after that.",
            SNOOZE_DAYS,
        ).format(days=SNOOZE_DAYS)
        callback_answer.show_alert = True
    elif callback_data.a == "stop":
        await courses.stop_reminders(session=session, user_id=user.id)
        callback_answer.text = _(
            "Reminders are stopped. To turn them back on, open 📚 My courses in the menu (/menu)."
        )
        callback_answer.show_alert = True
    elif callback_data.a == "done":
        due = await courses.next_due(session=session, user_id=user.id, ruleset=deps["ruleset"])
        if due is not None and due.isoformat() > callback_data.d:  # a newer course is recorded
            callback_answer.text = _("A newer course is already recorded. Here are your courses.")
            await open_courses(query, state, new=True, **deps)
            return
        await show(query, done_when_screen(callback_data.d), new=True)
    else:
        await open_courses(query, state, new=True, **deps)


async def done_when(
    query: CallbackQuery, callback_data: CourseDoneCallback, state: FSMContext, **deps: Any
) -> None:
    if callback_data.a == "today":
        last = await courses.last_completion(session=deps["session"], user_id=deps["user"].id)
        if last == _today(deps):  # a second tap on the same button records nothing more
            await open_courses(query, state, **deps)
            return
        await _record_completion(query, state, _today(deps), **deps)
        return
    await state.set_state(CourseStates.done_date)
    await show(query, date_question())


async def done_date_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        await _record_completion(message, state, message.text or "", **deps)
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, date_question())


# --- My courses -------------------------------------------------------------------------------
async def course_action(
    query: CallbackQuery,
    callback_data: CourseCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    user: UserRead = deps["user"]
    session = deps["session"]
    action = callback_data.a
    if action == "add":
        await state.set_state(CourseStates.add_date)
        await state.update_data({KEY: {}})
        await show(query, date_question())
    elif action == "cal":
        await send_calendar(query, callback_answer, **deps)
    elif action == "tl":
        await send_timeline(query, callback_answer, **deps)
    elif action in ("on", "off"):
        if action == "on":
            await courses.save_preference(
                session=session, user_id=user.id, stopped=False, snoozed_until=None
            )
            callback_answer.text = _("Reminders are on.")
        else:
            await courses.save_preference(session=session, user_id=user.id, stopped=True)
            callback_answer.text = _("Reminders are off.")
        await open_courses(query, state, **deps)
    elif action == "del":
        try:
            course = await courses.get_course(
                session=session, user_id=user.id, course_id=callback_data.id
            )
        except courses.CourseNotFoundError:
            callback_answer.text = _("That course is no longer recorded.")
            await open_courses(query, state, **deps)
            return
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Yes, delete it"), callback_data=CourseCallback(a="delok", id=callback_data.id)
        )
        builder.button(text=_("No, keep it"), callback_data=CourseCallback(a="open"))
        builder.adjust(2)
        text = _("Delete the course «{title}» completed on {date}?").format(
            title=escape(course.title), date=format_date(course.completed_on)
        )
        await show(query, Screen(text, builder.as_markup()))
    elif action == "delok":
        try:
            await courses.delete_course(
                session=session, user_id=user.id, course_id=callback_data.id
            )
            notice = _("🗑 The course is deleted.")
        except courses.CourseNotFoundError:
            notice = _("That course is no longer recorded.")
        await open_courses(query, state, notice=notice, **deps)
    else:
        await open_courses(query, state, **deps)


async def send_calendar(
    query: CallbackQuery, callback_answer: CallbackAnswer, **deps: Any
) -> None:
    settings: Settings = deps["settings"]
    ruleset: Ruleset = deps["ruleset"]
    user: UserRead = deps["user"]
    last = await courses.last_completion(session=deps["session"], user_id=user.id)
    if last is None:
        callback_answer.text = _(
            "Add a course first: then there is a due date to put in a calendar."
        )
        callback_answer.show_alert = True
        return
    refresher = ruleset.meta.refresher
    now = utcnow()
    body = render_calendar(
        user_id=user.id,
        last_completed=last,
        due=courses.due_date(last, refresher.period_years),
        period_years=refresher.period_years,
        act=refresher.citation.act,
        reminder_days=settings.delivery.reminder_days,
        overdue_every_days=settings.delivery.overdue_every_days,
        send_from=settings.delivery.quiet_end,
        now=now,
        today=now.astimezone(settings.tz).date(),
        language=deps["i18n"].current_locale,
        windows=refresher.testing_windows,
        window_notice_days=TESTING_NOTICE_DAYS,
        testing_act=refresher.testing_citation.act,
    )
    bot: Bot = deps["bot"]
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(body.encode("utf-8"), filename=CALENDAR_FILENAME),
        caption=_("Open this file to add the due date and its reminders to your calendar."),
    )


async def send_timeline(
    query: CallbackQuery, callback_answer: CallbackAnswer, **deps: Any
) -> None:
    user: UserRead = deps["user"]
    session = deps["session"]
    records = await courses.list_courses(session=session, user_id=user.id)
    if not records:
        callback_answer.text = _("Add a course first: then there is a timeline to draw.")
        callback_answer.show_alert = True
        return
    due = await courses.next_due(session=session, user_id=user.id, ruleset=deps["ruleset"])
    today = _today(deps)
    body = render_timeline([record.completed_on for record in records], due, today)
    caption = due_line(due, today) if due is not None else None
    bot: Bot = deps["bot"]
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(body, filename=TIMELINE_FILENAME),
        caption=caption,
    )


async def add_date_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        changes = validate_changes({"completed_on": message.text or ""}, _today(deps))
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, date_question())
        return
    await state.update_data({KEY: {"completed_on": changes["completed_on"].isoformat()}})
    await state.set_state(CourseStates.add_title)
    await show(message, title_question())


async def add_title_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        changes = validate_changes({"title": message.text or ""}, _today(deps))
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, title_question())
        return
    draft = dict((await state.get_data()).get(KEY) or {})
    draft["title"] = changes["title"]
    await state.update_data({KEY: draft})
    await state.set_state(CourseStates.add_provider)
    await show(message, providers_screen())


async def add_provider_typed(message: Message, **deps: Any) -> None:
    await message.answer(_("Please choose with the buttons."))
    await show(message, providers_screen())


async def choose_provider(
    query: CallbackQuery,
    callback_data: ProviderCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    draft = dict((await state.get_data()).get(KEY) or {})
    if await state.get_state() != CourseStates.add_provider.state or not draft:
        callback_answer.text = _(
            "This button is from an earlier message. Here is where you are now."
        )
        await open_courses(query, state, new=True, **deps)
        return
    try:
        course = validate_course({**draft, "provider": callback_data.p}, _today(deps))
    except CourseInputError:
        await open_courses(query, state, new=True, **deps)
        return
    await courses.add_course(session=deps["session"], user_id=deps["user"].id, course=course)
    await state.update_data({KEY: {}})
    await open_courses(query, state, notice=_("✅ The course is added."), **deps)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(reminder_button, ReminderCallback.filter())
    router.callback_query.register(done_when, CourseDoneCallback.filter())
    router.callback_query.register(course_action, CourseCallback.filter())
    router.callback_query.register(choose_provider, ProviderCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(done_date_typed, StateFilter(CourseStates.done_date), *typed)
    router.message.register(add_date_typed, StateFilter(CourseStates.add_date), *typed)
    router.message.register(add_title_typed, StateFilter(CourseStates.add_title), *typed)
    router.message.register(add_provider_typed, StateFilter(CourseStates.add_provider), *typed)
    return router
