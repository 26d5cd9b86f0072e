"""One recorded course: its detail screen, editing one field at a time, and deleting it.

Included from ``bot.handlers.courses.create_router()``. The field being edited lives in the FSM
data under EDIT_KEY; a course deleted meanwhile (another device, the API) gives My courses with
a notice instead of an error.
"""

from __future__ import annotations

from collections.abc import Container
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses import CourseInputError, validate_changes
from backend.courses import service as courses
from backend.courses.validation import format_date
from backend.models import UserRead
from bot.context import BotContext
from bot.handlers.courses.add import (
    TYPED_FIELDS,
    CertificateFileError,
    certificate_file,
    question_text,
    validated_text,
)
from bot.handlers.courses.callbacks import CourseCallback, CourseEditCallback
from bot.handlers.courses.handlers import (
    back_to_courses,
    leave_course_states,
    open_courses,
    with_notice,
)
from bot.handlers.courses.screens import course_detail_screen, course_title, edit_providers_screen
from bot.handlers.courses.states import CourseStates
from bot.shared.screen import Screen, show

EDIT_KEY = "course_edit"  # {"id": course id, "f": field} while one field is being changed
OPTIONAL_FIELDS = ("hours", "num")  # can be cleared


def edit_question(course_id: int, field: str) -> Screen:
    """The new value of one field of a recorded course; Cancel goes back to the course."""
    builder = InlineKeyboardBuilder()
    if field in OPTIONAL_FIELDS:
        builder.button(
            text=_("🧹 Clear"), callback_data=CourseEditCallback(id=course_id, f=field, v="-")
        )
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="show", id=course_id))
    builder.adjust(2)
    return Screen(question_text(field), builder.as_markup())


# --- one recorded course: the detail screen and deleting it ------------------------------------
async def _leave_course_dialog(state: FSMContext) -> None:
    await leave_course_states(state)
    await state.update_data({EDIT_KEY: None})


async def show_course(
    event: Message | CallbackQuery,
    state: FSMContext,
    course_id: int,
    *,
    notice: str | None = None,
    new: bool = False,
    ctx: BotContext,
) -> None:
    """The detail screen of one course; a course that is gone gives My courses instead."""
    await _leave_course_dialog(state)
    session = ctx.session
    user: UserRead = ctx.user
    try:
        course = await courses.get_course(session=session, user_id=user.id, course_id=course_id)
    except courses.CourseNotFoundError:
        await _course_gone(event, state, ctx=ctx)
        return
    due = await courses.next_due(session=session, user_id=user.id, ruleset=ctx.ruleset)
    await show(event, with_notice(course_detail_screen(course, due, ctx.today()), notice), new=new)


async def _course_gone(event: Message | CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await _leave_course_dialog(state)
    await back_to_courses(event, state, _("That course is no longer recorded."), ctx=ctx)


async def confirm_delete(
    query: CallbackQuery,
    course_id: int,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    try:
        course = await courses.get_course(
            session=ctx.session, user_id=ctx.user.id, course_id=course_id
        )
    except courses.CourseNotFoundError:
        callback_answer.text = _("That course is no longer recorded.")
        await open_courses(query, state, ctx=ctx)
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete it"), callback_data=CourseCallback(a="delok", id=course_id))
    builder.button(text=_("No, keep it"), callback_data=CourseCallback(a="show", id=course_id))
    builder.adjust(2)
    text = _("Delete the course «{title}» completed on {date}?").format(
        title=escape(course_title(course)), date=format_date(course.completed_on)
    )
    await show(query, Screen(text, builder.as_markup()))


async def delete_course(
    query: CallbackQuery, course_id: int, state: FSMContext, ctx: BotContext
) -> None:
    try:
        await courses.delete_course(session=ctx.session, user_id=ctx.user.id, course_id=course_id)
        notice = _("🗑 The course is deleted.")
    except courses.CourseNotFoundError:
        notice = _("That course is no longer recorded.")
    await open_courses(query, state, notice=notice, ctx=ctx)


async def course_show(
    query: CallbackQuery, callback_data: CourseCallback, state: FSMContext, ctx: BotContext
) -> None:
    await show_course(query, state, callback_data.id, ctx=ctx)


async def course_certificate(
    query: CallbackQuery, callback_data: CourseCallback, state: FSMContext, ctx: BotContext
) -> None:
    """The attached certificate, sent back by its Telegram file id (Sanat keeps no copy)."""
    try:
        course = await courses.get_course(
            session=ctx.session, user_id=ctx.user.id, course_id=callback_data.id
        )
    except courses.CourseNotFoundError:
        await _course_gone(query, state, ctx=ctx)
        return
    file_id = course.certificate_file_id
    if file_id is None or not isinstance(query.message, Message):
        await show_course(query, state, callback_data.id, new=True, ctx=ctx)
        return
    caption = escape(course.title)
    try:  # stored from a document or a photo; Telegram refuses the other kind's method
        await query.message.answer_document(file_id, caption=caption)
    except TelegramBadRequest:
        try:
            await query.message.answer_photo(file_id, caption=caption)
        except TelegramBadRequest:
            await query.message.answer(
                _("Telegram no longer has this file. Please attach the certificate again.")
            )


async def course_delete_asked(
    query: CallbackQuery,
    callback_data: CourseCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    await confirm_delete(query, callback_data.id, state, callback_answer, ctx=ctx)


async def course_delete_confirmed(
    query: CallbackQuery, callback_data: CourseCallback, state: FSMContext, ctx: BotContext
) -> None:
    await delete_course(query, callback_data.id, state, ctx=ctx)


# --- editing one field of a recorded course ----------------------------------------------------
async def _save_changes(
    event: Message | CallbackQuery,
    state: FSMContext,
    course_id: int,
    changes: dict[str, Any],
    ctx: BotContext,
) -> None:
    try:
        await courses.edit_course(
            session=ctx.session, user_id=ctx.user.id, course_id=course_id, changes=changes
        )
    except courses.CourseNotFoundError:
        await _course_gone(event, state, ctx=ctx)
        return
    await show_course(
        event, state, course_id, notice=_("✅ Saved."), new=isinstance(event, Message), ctx=ctx
    )


async def edit_field(
    query: CallbackQuery, callback_data: CourseEditCallback, state: FSMContext, ctx: BotContext
) -> None:
    user: UserRead = ctx.user
    course_id, field = callback_data.id, callback_data.f
    try:
        await courses.get_course(session=ctx.session, user_id=user.id, course_id=course_id)
    except courses.CourseNotFoundError:
        await _course_gone(query, state, ctx=ctx)
        return
    if field == "prov" and callback_data.v:
        try:
            changes = validate_changes({"provider": callback_data.v}, ctx.today())
        except CourseInputError:
            await show_course(query, state, course_id, ctx=ctx)
            return
        await _save_changes(query, state, course_id, changes, ctx=ctx)
    elif field == "prov":
        await show(query, edit_providers_screen(course_id))
    elif field in OPTIONAL_FIELDS and callback_data.v == "-":
        await _save_changes(query, state, course_id, {TYPED_FIELDS[field]: None}, ctx=ctx)
    elif field in TYPED_FIELDS or field == "file":
        await state.update_data({EDIT_KEY: {"id": course_id, "f": field}})
        await state.set_state(
            CourseStates.edit_file if field == "file" else CourseStates.edit_value
        )
        await show(query, edit_question(course_id, field))
    else:
        await show_course(query, state, course_id, ctx=ctx)


async def _being_edited(
    message: Message, state: FSMContext, fields: Container[str] | None = None, *, ctx: BotContext
) -> tuple[int, str] | None:
    """The (course id, field) being edited, if it is one of ``fields`` (None: any); otherwise
    (the FSM data lost in a restart) None, after showing My courses."""
    editing = (await state.get_data()).get(EDIT_KEY)
    if isinstance(editing, dict) and (fields is None or editing["f"] in fields):
        return int(editing["id"]), str(editing["f"])
    await open_courses(message, state, new=True, ctx=ctx)
    return None


async def edit_value_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    editing = await _being_edited(message, state, TYPED_FIELDS, ctx=ctx)
    if editing is None:
        return
    course_id, field = editing
    changes = await validated_text(message, field, edit_question(course_id, field), ctx=ctx)
    if changes is not None:
        await _save_changes(message, state, course_id, changes, ctx=ctx)


async def edit_file_sent(message: Message, state: FSMContext, ctx: BotContext) -> None:
    editing = await _being_edited(message, state, ctx=ctx)
    if editing is None:
        return
    course_id = editing[0]
    try:
        file_id, sha256 = await certificate_file(message, ctx.bot)
    except CertificateFileError as error:
        await message.answer(error.hint)
        await show(message, edit_question(course_id, "file"))
        return
    changes = {"certificate_file_id": file_id, "certificate_sha256": sha256}
    await _save_changes(message, state, course_id, changes, ctx=ctx)


async def edit_file_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    editing = await _being_edited(message, state, ctx=ctx)
    if editing is None:
        return
    await message.answer(_("Please send the certificate as a document or a photo."))
    await show(message, edit_question(editing[0], "file"))


def create_router() -> Router:
    router = Router(name=__name__)
    # EDIT_ACTIONS: the CourseCallback actions My courses leaves to this router
    router.callback_query.register(course_show, CourseCallback.filter(F.a == "show"))
    router.callback_query.register(course_certificate, CourseCallback.filter(F.a == "cert"))
    router.callback_query.register(course_delete_asked, CourseCallback.filter(F.a == "del"))
    router.callback_query.register(course_delete_confirmed, CourseCallback.filter(F.a == "delok"))
    router.callback_query.register(edit_field, CourseEditCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(edit_value_typed, StateFilter(CourseStates.edit_value), *typed)
    router.message.register(
        edit_file_sent, StateFilter(CourseStates.edit_file), F.document | F.photo
    )
    router.message.register(edit_file_typed, StateFilter(CourseStates.edit_file), *typed)
    return router
