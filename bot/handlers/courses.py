"""My courses: the due date, recorded courses (add, edit, delete), the calendar, reminders.

The user is always the Telegram sender (``data["user"]``); callback data carries ids only.
Validation and storage belong to ``backend.courses`` and ``backend.services.courses``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
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
from backend.courses.validation import MAX_CERTIFICATE_NUMBER, MAX_HOURS, MAX_TITLE, format_date
from backend.models import UserRead
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.services import assessments, courses
from backend.settings import Settings
from bot.flow import show
from bot.keyboards.callback_data import (
    CourseCallback,
    CourseDoneCallback,
    CourseEditCallback,
    ProviderCallback,
    ReminderCallback,
)
from bot.screens import (
    Screen,
    course_detail_screen,
    courses_screen,
    done_when_screen,
    due_line,
    edit_providers_screen,
    providers_screen,
)
from bot.states import CourseStates

KEY = "course"  # the course being added, in the FSM data
EDIT_KEY = "course_edit"  # {"id": course id, "f": field} while one field is being changed
MAX_FILE_BYTES = 20 * 1024 * 1024  # the largest file a bot may download from Telegram
# the short field names of CourseEditCallback that are typed, and the course field each sets
TYPED_FIELDS = {
    "date": "completed_on",
    "title": "title",
    "hours": "hours",
    "num": "certificate_number",
}
OPTIONAL_FIELDS = ("hours", "num")  # can be cleared
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
        "hours_format": _("Please type the hours as a whole number, for example 72."),
        "hours_range": _("Please type a number of hours from 1 to {limit}.").format(
            limit=MAX_HOURS
        ),
        "certificate_number_invalid": _(
            "That certificate number is too long: please keep it under {limit} characters."
        ).format(limit=MAX_CERTIFICATE_NUMBER),
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


def _question_text(field: str) -> str:
    texts = {
        "date": _("Type the date you finished the course as DD.MM.YYYY, for example 15.03.2025."),
        "title": _("Type the course's title, as on the certificate."),
        "hours": _("How many hours was the course? Type a number, for example 72."),
        "num": _("Type the certificate number, as it is printed on the certificate."),
        "file": _("Send the certificate as a document or a photo (up to 20 MB)."),
    }
    return texts[field]


def add_question(field: str) -> Screen:
    """An optional step of adding a course: Skip goes on without it."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip ➡"), callback_data=CourseCallback(a="skip"))
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="open"))
    builder.adjust(2)
    return Screen(_question_text(field), builder.as_markup())


def edit_question(course_id: int, field: str) -> Screen:
    """The new value of one field of a recorded course; Cancel goes back to the course."""
    builder = InlineKeyboardBuilder()
    if field in OPTIONAL_FIELDS:
        builder.button(
            text=_("🧹 Clear"), callback_data=CourseEditCallback(id=course_id, f=field, v="-")
        )
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="show", id=course_id))
    builder.adjust(2)
    return Screen(_question_text(field), builder.as_markup())


class CertificateFileError(Exception):
    """The certificate file cannot be taken; ``hint`` says why, in the user's language."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


async def certificate_file(message: Message, bot: Bot) -> tuple[str, str]:
    """The Telegram file id and the sha256 of a document or photo (its largest size)."""
    if message.document is not None:
        file_id, size = message.document.file_id, message.document.file_size
    elif message.photo:
        largest = max(message.photo, key=lambda photo: photo.width * photo.height)
        file_id, size = largest.file_id, largest.file_size
    else:
        raise CertificateFileError(_("Please send the certificate as a document or a photo."))
    too_large = _(
        "That file is larger than 20 MB, the most a Telegram bot can receive. Please send a "
        "smaller file (a photo or a PDF scan), or skip this step."
    )
    if size is not None and size > MAX_FILE_BYTES:
        raise CertificateFileError(too_large)
    try:
        body = await bot.download(file_id)
    except TelegramBadRequest as error:  # "file is too big" when Telegram gave no size
        if "too big" in error.message:
            raise CertificateFileError(too_large) from None
        raise CertificateFileError(
            _("Telegram did not give me that file. Please send it again.")
        ) from None
    assert body is not None  # no destination given: aiogram returns the bytes in memory
    return file_id, hashlib.sha256(body.read()).hexdigest()


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
    if action == "show":
        await show_course(query, state, callback_data.id, **deps)
    elif action == "skip":
        await skip_step(query, state, callback_answer, **deps)
    elif action == "add":
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
        await confirm_delete(query, callback_data.id, state, callback_answer, **deps)
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


async def confirm_delete(
    query: CallbackQuery,
    course_id: int,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    try:
        course = await courses.get_course(
            session=deps["session"], user_id=deps["user"].id, course_id=course_id
        )
    except courses.CourseNotFoundError:
        callback_answer.text = _("That course is no longer recorded.")
        await open_courses(query, state, **deps)
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete it"), callback_data=CourseCallback(a="delok", id=course_id))
    builder.button(text=_("No, keep it"), callback_data=CourseCallback(a="show", id=course_id))
    builder.adjust(2)
    text = _("Delete the course «{title}» completed on {date}?").format(
        title=escape(course.title), date=format_date(course.completed_on)
    )
    await show(query, Screen(text, builder.as_markup()))


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
        changes = validate_changes({"provider": callback_data.p}, _today(deps))
    except CourseInputError:
        await open_courses(query, state, new=True, **deps)
        return
    await state.update_data({KEY: {**draft, **changes}})
    await state.set_state(CourseStates.add_hours)
    await show(query, add_question("hours"))


async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def save_draft(event: Message | CallbackQuery, state: FSMContext, **deps: Any) -> None:
    """The last step of adding a course: store it and show My courses."""
    try:
        course = validate_course(await _draft(state), _today(deps))
    except CourseInputError:  # a draft from before a restart that lost part of it
        await open_courses(event, state, new=True, **deps)
        return
    await courses.add_course(session=deps["session"], user_id=deps["user"].id, course=course)
    await state.update_data({KEY: {}})
    notice = _("✅ The course is added.")
    await open_courses(event, state, notice=notice, new=isinstance(event, Message), **deps)


async def add_hours_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        changes = validate_changes({"hours": message.text or ""}, _today(deps))
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, add_question("hours"))
        return
    await state.update_data({KEY: {**await _draft(state), **changes}})
    await state.set_state(CourseStates.add_certificate_number)
    await show(message, add_question("num"))


async def add_number_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        changes = validate_changes({"certificate_number": message.text or ""}, _today(deps))
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, add_question("num"))
        return
    await state.update_data({KEY: {**await _draft(state), **changes}})
    await state.set_state(CourseStates.add_certificate_file)
    await show(message, add_question("file"))


async def add_file_sent(message: Message, state: FSMContext, **deps: Any) -> None:
    try:
        file_id, sha256 = await certificate_file(message, deps["bot"])
    except CertificateFileError as error:
        await message.answer(error.hint)  # everything typed so far stays in the draft
        await show(message, add_question("file"))
        return
    draft = await _draft(state)
    draft.update(certificate_file_id=file_id, certificate_sha256=sha256)
    await state.update_data({KEY: draft})
    await save_draft(message, state, **deps)


async def add_file_typed(message: Message, **deps: Any) -> None:
    await message.answer(_("Please send the certificate as a document or a photo, or skip."))
    await show(message, add_question("file"))


async def skip_step(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, **deps: Any
) -> None:
    current = await state.get_state()
    if not await _draft(state):
        current = None
    if current == CourseStates.add_hours.state:
        await state.set_state(CourseStates.add_certificate_number)
        await show(query, add_question("num"))
    elif current == CourseStates.add_certificate_number.state:
        await state.set_state(CourseStates.add_certificate_file)
        await show(query, add_question("file"))
    elif current == CourseStates.add_certificate_file.state:
        await save_draft(query, state, **deps)
    else:
        callback_answer.text = _(
            "This button is from an earlier message. Here is where you are now."
        )
        await open_courses(query, state, new=True, **deps)


# --- one recorded course: the detail screen and editing ----------------------------------------
async def _leave_course_dialog(state: FSMContext) -> None:
    if await state.get_state() in {s.state for s in CourseStates.__states__}:
        await state.set_state(None)
    await state.update_data({EDIT_KEY: None})


async def show_course(
    event: Message | CallbackQuery,
    state: FSMContext,
    course_id: int,
    *,
    notice: str | None = None,
    new: bool = False,
    **deps: Any,
) -> None:
    """The detail screen of one course; a course that is gone gives My courses instead."""
    await _leave_course_dialog(state)
    session = deps["session"]
    user: UserRead = deps["user"]
    try:
        course = await courses.get_course(session=session, user_id=user.id, course_id=course_id)
    except courses.CourseNotFoundError:
        await _course_gone(event, state, **deps)
        return
    due = await courses.next_due(session=session, user_id=user.id, ruleset=deps["ruleset"])
    screen = course_detail_screen(course, due, _today(deps))
    if notice:
        screen = Screen(f"{notice}\n\n{screen.text}", screen.markup)
    await show(event, screen, new=new)


async def _course_gone(event: Message | CallbackQuery, state: FSMContext, **deps: Any) -> None:
    notice = _("That course is no longer recorded.")
    await open_courses(event, state, notice=notice, new=isinstance(event, Message), **deps)


async def _save_changes(
    event: Message | CallbackQuery,
    state: FSMContext,
    course_id: int,
    changes: dict[str, Any],
    **deps: Any,
) -> None:
    try:
        await courses.edit_course(
            session=deps["session"], user_id=deps["user"].id, course_id=course_id, changes=changes
        )
    except courses.CourseNotFoundError:
        await _leave_course_dialog(state)
        await _course_gone(event, state, **deps)
        return
    await show_course(
        event, state, course_id, notice=_("✅ Saved."), new=isinstance(event, Message), **deps
    )


async def edit_field(
    query: CallbackQuery, callback_data: CourseEditCallback, state: FSMContext, **deps: Any
) -> None:
    user: UserRead = deps["user"]
    course_id, field = callback_data.id, callback_data.f
    try:
        await courses.get_course(session=deps["session"], user_id=user.id, course_id=course_id)
    except courses.CourseNotFoundError:
        await _leave_course_dialog(state)
        await _course_gone(query, state, **deps)
        return
    if field == "prov" and callback_data.v:
        try:
            changes = validate_changes({"provider": callback_data.v}, _today(deps))
        except CourseInputError:
            await show_course(query, state, course_id, **deps)
            return
        await _save_changes(query, state, course_id, changes, **deps)
    elif field == "prov":
        await show(query, edit_providers_screen(course_id))
    elif field in OPTIONAL_FIELDS and callback_data.v == "-":
        await _save_changes(query, state, course_id, {TYPED_FIELDS[field]: None}, **deps)
    elif field in TYPED_FIELDS or field == "file":
        await state.update_data({EDIT_KEY: {"id": course_id, "f": field}})
        await state.set_state(
            CourseStates.edit_file if field == "file" else CourseStates.edit_value
        )
        await show(query, edit_question(course_id, field))
    else:
        await show_course(query, state, course_id, **deps)


async def _editing(state: FSMContext) -> tuple[int, str] | None:
    editing = (await state.get_data()).get(EDIT_KEY)
    if not isinstance(editing, dict):
        return None
    return int(editing["id"]), str(editing["f"])


async def edit_value_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    editing = await _editing(state)
    if editing is None or editing[1] not in TYPED_FIELDS:
        await open_courses(message, state, new=True, **deps)
        return
    course_id, field = editing
    try:
        changes = validate_changes({TYPED_FIELDS[field]: message.text or ""}, _today(deps))
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, edit_question(course_id, field))
        return
    await _save_changes(message, state, course_id, changes, **deps)


async def edit_file_sent(message: Message, state: FSMContext, **deps: Any) -> None:
    editing = await _editing(state)
    if editing is None:
        await open_courses(message, state, new=True, **deps)
        return
    course_id = editing[0]
    try:
        file_id, sha256 = await certificate_file(message, deps["bot"])
    except CertificateFileError as error:
        await message.answer(error.hint)
        await show(message, edit_question(course_id, "file"))
        return
    changes = {"certificate_file_id": file_id, "certificate_sha256": sha256}
    await _save_changes(message, state, course_id, changes, **deps)


async def edit_file_typed(message: Message, state: FSMContext, **deps: Any) -> None:
    editing = await _editing(state)
    if editing is None:
        await open_courses(message, state, new=True, **deps)
        return
    await message.answer(_("Please send the certificate as a document or a photo."))
    await show(message, edit_question(editing[0], "file"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(reminder_button, ReminderCallback.filter())
    router.callback_query.register(done_when, CourseDoneCallback.filter())
    router.callback_query.register(course_action, CourseCallback.filter())
    router.callback_query.register(choose_provider, ProviderCallback.filter())
    router.callback_query.register(edit_field, CourseEditCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(done_date_typed, StateFilter(CourseStates.done_date), *typed)
    router.message.register(add_date_typed, StateFilter(CourseStates.add_date), *typed)
    router.message.register(add_title_typed, StateFilter(CourseStates.add_title), *typed)
    router.message.register(add_provider_typed, StateFilter(CourseStates.add_provider), *typed)
    router.message.register(add_hours_typed, StateFilter(CourseStates.add_hours), *typed)
    router.message.register(
        add_number_typed, StateFilter(CourseStates.add_certificate_number), *typed
    )
    a_file = F.document | F.photo
    router.message.register(add_file_sent, StateFilter(CourseStates.add_certificate_file), a_file)
    router.message.register(add_file_typed, StateFilter(CourseStates.add_certificate_file), *typed)
    router.message.register(edit_value_typed, StateFilter(CourseStates.edit_value), *typed)
    router.message.register(edit_file_sent, StateFilter(CourseStates.edit_file), a_file)
    router.message.register(edit_file_typed, StateFilter(CourseStates.edit_file), *typed)
    return router
