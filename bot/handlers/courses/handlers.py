"""My courses: the due date, the list of recorded courses, the calendar, the timeline and the
buttons under a reminder.

The Add a course dialog and a course's own screen (edit, delete) are next door in ``add`` and
``edit``; the package joins the three routers, this one first.
The user is always the Telegram sender (``data["user"]``); callback data carries ids only.
Validation and storage belong to ``backend.courses`` and ``backend.courses.service``.
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

from backend.calendars import service as calendars
from backend.calendars.windows import next_window
from backend.courses import SNOOZE_DAYS, CourseInputError, validate_course
from backend.courses import service as courses
from backend.courses.ics import render_calendar
from backend.courses.testing import NOTICE_DAYS
from backend.courses.timeline import timeline_png
from backend.courses.validation import (
    DEFAULT_TITLE,
    MAX_CERTIFICATE_NUMBER,
    MAX_HOURS,
    MAX_PROVIDER_NAME,
    MAX_TITLE,
    MAX_TOPIC,
    format_date,
)
from backend.models import UserRead
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.rules.schema import TestingWindow
from backend.settings import Settings
from bot.context import BotContext
from bot.handlers.courses.callbacks import (
    ADD_ACTIONS,
    EDIT_ACTIONS,
    CourseCallback,
    CourseDoneCallback,
    ReminderCallback,
)
from bot.handlers.courses.screens import courses_screen, done_when_screen, due_line
from bot.handlers.courses.states import CourseStates
from bot.shared.pictures import user_catalog
from bot.shared.screen import Screen, show

CALENDAR_FILENAME = "sanat-courses.ics"
TIMELINE_FILENAME = "timeline.png"


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
        "provider_name_invalid": _(
            "That name is too long: please keep it under {limit} characters."
        ).format(limit=MAX_PROVIDER_NAME),
        "certificate_number_invalid": _(
            "That certificate number is too long: please keep it under {limit} characters."
        ).format(limit=MAX_CERTIFICATE_NUMBER),
        "topic_invalid": _(
            "That topic is too long: please keep it under {limit} characters."
        ).format(limit=MAX_TOPIC),
        "text_controls": _(
            "That text has special (control) characters I cannot keep. Please type it again "
            "with letters, digits and punctuation only."
        ),
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
    ctx: BotContext,
) -> None:
    """Show My courses (leaving any half-typed course behind)."""
    await leave_course_states(state)
    user: UserRead = ctx.user
    session = ctx.session
    settings: Settings = ctx.settings
    records = await courses.list_courses(session=session, user_id=user.id)
    due = await courses.next_due(session=session, user_id=user.id, ruleset=ctx.ruleset)
    preference = await courses.load_preference(session=session, user_id=user.id)
    snoozed = (
        preference.snoozed_until.astimezone(settings.tz).date()
        if preference is not None and preference.snoozed_until is not None
        else None
    )
    window = next_window(
        await calendars.upcoming_testing_windows(session=session, since=ctx.today()), ctx.today()
    )
    screen = courses_screen(
        records,
        due,
        ctx.today(),
        stopped=preference is not None and preference.stopped,
        snoozed_until=snoozed,
        testing_window=(window.starts_on, window.ends_on) if window is not None else None,
    )
    await show(event, with_notice(screen, notice), new=new)


async def back_to_courses(
    event: Message | CallbackQuery, state: FSMContext, notice: str, ctx: BotContext
) -> None:
    """My courses with ``notice`` on top, at the end of a dialog: after a typed answer as a new
    message (below the user's), after a button in place of the dialog's message."""
    await open_courses(event, state, notice=notice, new=isinstance(event, Message), ctx=ctx)


# --- the buttons under a reminder -------------------------------------------------------------
async def _record_completion(
    event: Message | CallbackQuery, state: FSMContext, raw_date: Any, ctx: BotContext
) -> None:
    """Store "I finished the course" on a date; raises CourseInputError when it is invalid."""
    course = validate_course(
        {"completed_on": raw_date, "title": _(DEFAULT_TITLE), "provider": "other"},
        ctx.today(),
    )
    await courses.add_course(session=ctx.session, user_id=ctx.user.id, course=course)
    notice = _("✅ Recorded: course completed on {date}.").format(
        date=format_date(course.completed_on)
    )
    await back_to_courses(event, state, notice, ctx=ctx)


async def snooze_reminders(
    query: CallbackQuery, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    await courses.snooze_reminders(session=ctx.session, user_id=ctx.user.id, now=utcnow())
    callback_answer.text = ngettext(
        "Snoozed for {days} day. Sanat will remind you again after that.",
        "Snoozed for {days} days. Sanat will remind you again after that.",
        SNOOZE_DAYS,
    ).format(days=SNOOZE_DAYS)
    callback_answer.show_alert = True


async def stop_reminders(
    query: CallbackQuery, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    await courses.stop_reminders(session=ctx.session, user_id=ctx.user.id)
    callback_answer.text = _(
        "Reminders are stopped. To turn them back on, open 📚 My courses in the menu (/menu)."
    )
    callback_answer.show_alert = True


async def reminder_done(
    query: CallbackQuery,
    callback_data: ReminderCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    due = await courses.next_due(session=ctx.session, user_id=ctx.user.id, ruleset=ctx.ruleset)
    if due is not None and due.isoformat() > callback_data.d:  # a newer course is recorded
        callback_answer.text = _("A newer course is already recorded. Here are your courses.")
        await open_courses(query, state, new=True, ctx=ctx)
        return
    await show(query, done_when_screen(callback_data.d), new=True)


async def reminder_other(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    """Any other reminder button (from an older version of the bot): My courses."""
    await open_courses(query, state, new=True, ctx=ctx)


async def done_today(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    last = await courses.last_completion(session=ctx.session, user_id=ctx.user.id)
    if last == ctx.today():  # a second tap on the same button records nothing more
        await open_courses(query, state, ctx=ctx)
        return
    await _record_completion(query, state, ctx.today(), ctx)


async def done_another_day(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CourseStates.done_date)
    await show(query, date_question())


async def done_date_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    try:
        await _record_completion(message, state, message.text or "", ctx=ctx)
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, date_question())


# --- the buttons of My courses (add.py and edit.py answer ADD_ACTIONS and EDIT_ACTIONS) -------
async def reminders_on(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    await courses.resume_reminders(session=ctx.session, user_id=ctx.user.id)
    callback_answer.text = _("Reminders are on.")
    await open_courses(query, state, ctx=ctx)


async def reminders_off(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    await courses.stop_reminders(session=ctx.session, user_id=ctx.user.id)
    callback_answer.text = _("Reminders are off.")
    await open_courses(query, state, ctx=ctx)


async def list_other(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    """ "open", and any button from an older version of the bot, just show My courses."""
    await open_courses(query, state, ctx=ctx)


async def send_calendar(
    query: CallbackQuery, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    settings: Settings = ctx.settings
    ruleset: Ruleset = ctx.ruleset
    user: UserRead = ctx.user
    last = await courses.last_completion(session=ctx.session, user_id=user.id)
    if last is None:
        callback_answer.text = _(
            "Add a course first: then there is a due date to put in a calendar."
        )
        callback_answer.show_alert = True
        return
    refresher = ruleset.meta.refresher
    now = utcnow()
    windows = await calendars.upcoming_testing_windows(session=ctx.session, since=ctx.today())
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
        language=ctx.lang,
        windows=[TestingWindow(start=w.starts_on, end=w.ends_on) for w in windows],
        window_notice_days=NOTICE_DAYS,
        testing_act="; ".join(sorted({w.legal_basis for w in windows})),
    )
    bot: Bot = ctx.bot
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(body.encode("utf-8"), filename=CALENDAR_FILENAME),
        caption=_("Open this file to add the due date and its reminders to your calendar."),
    )


async def send_timeline(
    query: CallbackQuery, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    user: UserRead = ctx.user
    session = ctx.session
    records = await courses.list_courses(session=session, user_id=user.id)
    if not records:
        callback_answer.text = _("Add a course first: then there is a timeline to draw.")
        callback_answer.show_alert = True
        return
    due = await courses.next_due(session=session, user_id=user.id, ruleset=ctx.ruleset)
    now = ctx.today()
    body = await timeline_png(
        records=records,
        due=due,
        today=now,
        windows=[
            TestingWindow(start=w.starts_on, end=w.ends_on)
            for w in await calendars.upcoming_testing_windows(session=ctx.session, since=now)
        ],
        catalog=user_catalog(),
    )
    caption = due_line(due, now) if due is not None else None
    bot: Bot = ctx.bot
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(body, filename=TIMELINE_FILENAME),
        caption=caption,
    )


def create_router() -> Router:
    router = Router(name=__name__)
    reminder = ReminderCallback.filter
    router.callback_query.register(snooze_reminders, reminder(F.a == "snooze"))
    router.callback_query.register(stop_reminders, reminder(F.a == "stop"))
    router.callback_query.register(reminder_done, reminder(F.a == "done"))
    router.callback_query.register(reminder_other, reminder())
    router.callback_query.register(done_today, CourseDoneCallback.filter(F.a == "today"))
    router.callback_query.register(done_another_day, CourseDoneCallback.filter())
    course = CourseCallback.filter
    router.callback_query.register(send_calendar, course(F.a == "cal"))
    router.callback_query.register(send_timeline, course(F.a == "tl"))
    router.callback_query.register(reminders_on, course(F.a == "on"))
    router.callback_query.register(reminders_off, course(F.a == "off"))
    # this router is tried before add's and edit's: leave their actions to them
    router.callback_query.register(list_other, course(~F.a.in_((*ADD_ACTIONS, *EDIT_ACTIONS))))
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(done_date_typed, StateFilter(CourseStates.done_date), *typed)
    return router
