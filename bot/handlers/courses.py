"""My courses: the due date, the list of recorded courses, the calendar, the timeline and the
buttons under a reminder.

The Add a course dialog and a course's own screen (edit, delete) are in
``bot.handlers.course_edit``, whose router this module's router includes.
The user is always the Telegram sender (``data["user"]``); callback data carries ids only.
Validation and storage belong to ``backend.courses`` and ``backend.services.courses``.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses import SNOOZE_DAYS, CourseInputError, validate_course
from backend.courses.ics import render_calendar
from backend.courses.timeline import timeline_png
from backend.courses.validation import MAX_CERTIFICATE_NUMBER, MAX_HOURS, MAX_TITLE, format_date
from backend.models import UserRead
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.services import courses
from backend.settings import Settings
from bot.context import local_today
from bot.flow import show
from bot.keyboards.callback_data import CourseCallback, CourseDoneCallback, ReminderCallback
from bot.pictures import user_catalog
from bot.screens import Screen, courses_screen, done_when_screen, due_line
from bot.states import CourseStates

CALENDAR_FILENAME = "sanat-courses.ics"
TIMELINE_FILENAME = "timeline.png"
TESTING_NOTICE_DAYS = 14


# --- shared with the course_add and course_edit dialogs ----------------------------------------


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
        "hours_format": _("Please type the hours as a whole number, for example 72."),
        "hours_range": _("Please type a number of hours from 1 to {limit}.").format(
            limit=MAX_HOURS
        ),
        "certificate_number_invalid": _(
            "That certificate number is too long: please keep it under {limit} characters."
        ).format(limit=MAX_CERTIFICATE_NUMBER),
    }
    return hints.get(code, _("Please check what you typed and try again."))


def cancel_markup() -> InlineKeyboardMarkup:
    """A Cancel button that leaves the dialog for My courses."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="open"))
    return builder.as_markup()


def date_question() -> Screen:
    return Screen(
        _("Type the date you finished the course as DD.MM.YYYY, for example 15.03.2025."),
        cancel_markup(),
    )


def with_notice(screen: Screen, notice: str | None) -> Screen:
    """``screen`` with a line such as "✅ Saved." above it."""
    return Screen(f"{notice}\n\n{screen.text}", screen.markup) if notice else screen


async def leave_course_states(state: FSMContext) -> None:
    """Forget the course dialog the user was in (any other dialog is left alone)."""
    if await state.get_state() in {s.state for s in CourseStates.__states__}:
        await state.set_state(None)


async def open_courses(
    event: Message | CallbackQuery,
    state: FSMContext,
    *,
    notice: str | None = None,
    new: bool = False,
    **deps: Any,
) -> None:
    """Show My courses (leaving any half-typed course behind)."""
    await leave_course_states(state)
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
        local_today(deps),
        stopped=preference is not None and preference.stopped,
        snoozed_until=snoozed,
    )
    await show(event, with_notice(screen, notice), new=new)


async def back_to_courses(
    event: Message | CallbackQuery, state: FSMContext, notice: str, **deps: Any
) -> None:
    """My courses with ``notice`` on top, at the end of a dialog: after a typed answer as a new
    message (below the user's), after a button in place of the dialog's message."""
    await open_courses(event, state, notice=notice, new=isinstance(event, Message), **deps)


# --- the buttons under a reminder -------------------------------------------------------------
async def _record_completion(
    event: Message | CallbackQuery, state: FSMContext, raw_date: Any, **deps: Any
) -> None:
    """Store "I finished the course" on a date; raises CourseInputError when it is invalid."""
    course = validate_course(
        {"completed_on": raw_date, "title": _("Refresher course"), "provider": "other"},
        local_today(deps),
    )
    await courses.add_course(session=deps["session"], user_id=deps["user"].id, course=course)
    notice = _("✅ Recorded: course completed on {date}.").format(
        date=format_date(course.completed_on)
    )
    await back_to_courses(event, state, notice, **deps)


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
        if last == local_today(deps):  # a second tap on the same button records nothing more
            await open_courses(query, state, **deps)
            return
        await _record_completion(query, state, local_today(deps), **deps)
        return
    await state.set_state(CourseStates.done_date)
    await show(query, date_question())


async def done_date_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        await _record_completion(message, state, message.text or "", **deps)
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, date_question())


# --- the buttons of My courses ----------------------------------------------------------------
async def list_action(
    query: CallbackQuery,
    callback_data: CourseCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    """The buttons of My courses itself (course_add and course_edit answer their ACTIONS)."""
    user: UserRead = deps["user"]
    action = callback_data.a
    if action == "cal":
        await send_calendar(query, callback_answer, **deps)
        return
    if action == "tl":
        await send_timeline(query, callback_answer, **deps)
        return
    if action == "on":
        await courses.resume_reminders(session=deps["session"], user_id=user.id)
        callback_answer.text = _("Reminders are on.")
    elif action == "off":
        await courses.stop_reminders(session=deps["session"], user_id=user.id)
        callback_answer.text = _("Reminders are off.")
    # "open", and any button from an older version of the bot, just show My courses
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
    ruleset: Ruleset = deps["ruleset"]
    due = await courses.next_due(session=session, user_id=user.id, ruleset=ruleset)
    now = local_today(deps)
    body = await timeline_png(
        records=records,
        due=due,
        today=now,
        windows=ruleset.meta.refresher.testing_windows,
        catalog=user_catalog(),
    )
    caption = due_line(due, now) if due is not None else None
    bot: Bot = deps["bot"]
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(body, filename=TIMELINE_FILENAME),
        caption=caption,
    )


def create_router() -> Router:
    # imported here, not at the top: both import open_courses and its helpers from this module
    from bot.handlers import course_add, course_edit

    router = Router(name=__name__)
    router.callback_query.register(reminder_button, ReminderCallback.filter())
    router.callback_query.register(done_when, CourseDoneCallback.filter())
    # this router's own handlers are tried before the included ones: leave theirs to them
    theirs = ~F.a.in_((*course_add.ACTIONS, *course_edit.ACTIONS))
    router.callback_query.register(list_action, CourseCallback.filter(theirs))
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(done_date_typed, StateFilter(CourseStates.done_date), *typed)
    router.include_router(course_add.create_router())
    router.include_router(course_edit.create_router())
    return router
