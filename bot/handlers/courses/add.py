"""Adding a course: the date, the title, the provider (and the name of an "other" one), the
kind (short course, one of the seven long-term programmes of Order 266 para 26, a course for
heads, other), then the optional topic (para 25: a certificate per course topic), hours,
certificate number and certificate file (each can be skipped).

Included from ``bot.handlers.courses.create_router()``. The draft lives in the FSM data (JSON)
under KEY, so a Skip, provider, kind or programme button from an old message is checked against
the current state before it changes anything. The questions and the certificate download are
shared with ``bot.handlers.courses.edit``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.courses import CourseInputError, validate_changes, validate_course
from backend.courses import service as courses
from bot.context import BotContext
from bot.handlers.courses.callbacks import (
    CourseCallback,
    KindCallback,
    ProgrammeCallback,
    ProviderCallback,
)
from bot.handlers.courses.handlers import (
    back_to_courses,
    cancel_markup,
    date_question,
    input_hint,
    open_courses,
)
from bot.handlers.courses.screens import (
    add_kinds_screen,
    add_programmes_screen,
    providers_screen,
)
from bot.handlers.courses.states import CourseStates
from bot.shared.screen import Screen, show

KEY = "course"  # the course being added, in the FSM data
MAX_FILE_BYTES = 20 * 1024 * 1024  # the largest file a bot may download from Telegram
# the short field names (as in CourseEditCallback) that are typed, and the course field each sets
TYPED_FIELDS = {
    "date": "completed_on",
    "title": "title",
    "hours": "hours",
    "num": "certificate_number",
    "org": "provider_name",
    "topic": "topic",
}
# the optional steps of adding a course, in order; Skip or an answer goes on to the next one
OPTIONAL_STEPS: tuple[tuple[State, str], ...] = (
    (CourseStates.add_topic, "topic"),
    (CourseStates.add_hours, "hours"),
    (CourseStates.add_certificate_number, "num"),
    (CourseStates.add_certificate_file, "file"),
)


# --- the questions, shared with editing ---------------------------------------------------------
def title_question() -> Screen:
    return Screen(question_text("title"), cancel_markup())


def question_text(field: str) -> str:
    if field == "date":  # the same question as "I finished the course" on another date
        return date_question().text
    texts = {
        "title": _("Type the course's title, as on the certificate."),
        "hours": _("How many hours was the course? Type a number, for example 72."),
        "num": _("Type the certificate number, as it is printed on the certificate."),
        "file": _("Send the certificate as a document or a photo (up to 20 MB)."),
        "org": _("Type the name of the organisation that ran the course."),
        "topic": _(
            "Type the course topic as the certificate states it (a certificate is issued per "
            "course topic)."
        ),
    }
    return texts[field]


def add_question(field: str) -> Screen:
    """An optional step of adding a course: Skip goes on without it."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Skip ➡"), callback_data=CourseCallback(a="skip"))
    builder.button(text=_("✖ Cancel"), callback_data=CourseCallback(a="open"))
    builder.adjust(2)
    return Screen(question_text(field), builder.as_markup())


async def validated_text(
    message: Message, field: str, retry: Screen, ctx: BotContext
) -> dict[str, Any] | None:
    """The typed value of one field, validated; None (after a hint and ``retry``) if invalid."""
    try:
        return validate_changes({TYPED_FIELDS[field]: message.text or ""}, ctx.today())
    except CourseInputError as error:
        await message.answer(input_hint(error.codes))
        await show(message, retry)
        return None


# --- the certificate file ----------------------------------------------------------------------
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


# --- adding a course: date, title, provider, kind, then the optional steps ---------------------
async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def _stale_button(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    callback_answer.text = _("This button is from an earlier message. Here is where you are now.")
    await open_courses(query, state, new=True, ctx=ctx)


async def start_adding(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CourseStates.add_date)
    await state.update_data({KEY: {}})
    await show(query, date_question())


async def add_date_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    changes = await validated_text(message, "date", date_question(), ctx=ctx)
    if changes is None:
        return
    await state.update_data({KEY: {"completed_on": changes["completed_on"].isoformat()}})
    await state.set_state(CourseStates.add_title)
    await show(message, title_question())


async def add_title_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    changes = await validated_text(message, "title", title_question(), ctx=ctx)
    if changes is None:
        return
    await state.update_data({KEY: {**await _draft(state), **changes}})
    await state.set_state(CourseStates.add_provider)
    await show(message, providers_screen())


async def add_provider_typed(message: Message) -> None:
    await message.answer(_("Please choose with the buttons."))
    await show(message, providers_screen())


async def choose_provider(
    query: CallbackQuery,
    callback_data: ProviderCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    draft = await _draft(state)
    if await state.get_state() != CourseStates.add_provider.state or not draft:
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    try:
        changes = validate_changes({"provider": callback_data.p}, ctx.today())
    except CourseInputError:
        await open_courses(query, state, new=True, ctx=ctx)
        return
    await state.update_data({KEY: {**draft, **changes}})
    if changes["provider"] == "other":  # whose course it was: asked, not left as "other"
        await state.set_state(CourseStates.add_provider_name)
        await show(query, provider_name_question())
        return
    await _ask_kind(query, state)


def provider_name_question() -> Screen:
    return Screen(question_text("org"), cancel_markup())


async def add_provider_name_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    changes = await validated_text(message, "org", provider_name_question(), ctx=ctx)
    if changes is None:
        return
    if changes["provider_name"] is None:  # only spaces: ask again
        await show(message, provider_name_question())
        return
    await state.update_data({KEY: {**await _draft(state), **changes}})
    await _ask_kind(message, state)


# --- the kind, and the programme of a long-term course -------------------------------------------
async def _ask_kind(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CourseStates.add_kind)
    await show(event, add_kinds_screen())


async def choose_kind(
    query: CallbackQuery,
    callback_data: KindCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    draft = await _draft(state)
    if await state.get_state() != CourseStates.add_kind.state or not draft:
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    try:
        changes = validate_changes({"course_kind": callback_data.k}, ctx.today())
    except CourseInputError:  # forged: not one of the kinds
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    if changes["course_kind"] == "long_term":  # which of the seven: asked next
        await state.set_state(CourseStates.add_programme)
        await show(query, add_programmes_screen(ctx.lang))
        return
    await state.update_data({KEY: {**draft, **changes}})
    await _next_step(query, state, None, ctx=ctx)


async def choose_programme(
    query: CallbackQuery,
    callback_data: ProgrammeCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    draft = await _draft(state)
    if await state.get_state() != CourseStates.add_programme.state or not draft:
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    try:  # a programme makes the course long-term (backend.courses.validation)
        changes = validate_changes({"programme": callback_data.p}, ctx.today())
    except CourseInputError:  # forged, or no longer in the data
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    await state.update_data({KEY: {**draft, **changes}})
    await _next_step(query, state, None, ctx=ctx)


async def back_to_kinds(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    if await state.get_state() != CourseStates.add_programme.state or not await _draft(state):
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    await _ask_kind(query, state)


async def kind_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await message.answer(_("Please choose with the buttons."))
    if await state.get_state() == CourseStates.add_programme.state:
        await show(message, add_programmes_screen(ctx.lang))
    else:
        await show(message, add_kinds_screen())


# --- the optional steps and storing the course ---------------------------------------------------
async def _next_step(
    event: Message | CallbackQuery, state: FSMContext, current: str | None, ctx: BotContext
) -> None:
    """Ask the optional step after ``current`` (None: the first one), or store the course."""
    names = [None, *(step.state for step, _field in OPTIONAL_STEPS)]
    following = names.index(current)
    if following == len(OPTIONAL_STEPS):
        await save_draft(event, state, ctx=ctx)
        return
    step, field = OPTIONAL_STEPS[following]
    await state.set_state(step)
    await show(event, add_question(field))


async def add_optional_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    """The topic, the hours or the certificate number, whichever is being asked."""
    current = await state.get_state()
    field = next(field for step, field in OPTIONAL_STEPS if step.state == current)
    changes = await validated_text(message, field, add_question(field), ctx=ctx)
    if changes is None:
        return
    await state.update_data({KEY: {**await _draft(state), **changes}})
    await _next_step(message, state, current, ctx=ctx)


async def add_file_sent(message: Message, state: FSMContext, ctx: BotContext) -> None:
    try:
        file_id, sha256 = await certificate_file(message, ctx.bot)
    except CertificateFileError as error:
        await message.answer(error.hint)  # everything typed so far stays in the draft
        await show(message, add_question("file"))
        return
    draft = await _draft(state)
    draft.update(certificate_file_id=file_id, certificate_sha256=sha256)
    await state.update_data({KEY: draft})
    await save_draft(message, state, ctx=ctx)


async def add_file_typed(message: Message) -> None:
    await message.answer(_("Please send the certificate as a document or a photo, or skip."))
    await show(message, add_question("file"))


async def skip_step(
    query: CallbackQuery, state: FSMContext, callback_answer: CallbackAnswer, ctx: BotContext
) -> None:
    current = await state.get_state()
    if not await _draft(state) or current not in {step.state for step, _f in OPTIONAL_STEPS}:
        await _stale_button(query, state, callback_answer, ctx=ctx)
        return
    await _next_step(query, state, current, ctx=ctx)


async def save_draft(event: Message | CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    """The last step of adding a course: store it and show My courses."""
    try:
        course = validate_course(await _draft(state), ctx.today())
    except CourseInputError:  # a draft from before a restart that lost part of it
        await open_courses(event, state, new=True, ctx=ctx)
        return
    await courses.add_course(session=ctx.session, user_id=ctx.user.id, course=course)
    await state.update_data({KEY: {}})
    await back_to_courses(event, state, _("✅ The course is added."), ctx=ctx)


def create_router() -> Router:
    router = Router(name=__name__)
    # ADD_ACTIONS: the CourseCallback actions My courses leaves to this router
    router.callback_query.register(start_adding, CourseCallback.filter(F.a == "add"))
    router.callback_query.register(skip_step, CourseCallback.filter(F.a == "skip"))
    router.callback_query.register(back_to_kinds, CourseCallback.filter(F.a == "kinds"))
    router.callback_query.register(choose_provider, ProviderCallback.filter())
    router.callback_query.register(choose_kind, KindCallback.filter())
    router.callback_query.register(choose_programme, ProgrammeCallback.filter())
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(add_date_typed, StateFilter(CourseStates.add_date), *typed)
    router.message.register(add_title_typed, StateFilter(CourseStates.add_title), *typed)
    router.message.register(add_provider_typed, StateFilter(CourseStates.add_provider), *typed)
    naming = StateFilter(CourseStates.add_provider_name)
    router.message.register(add_provider_name_typed, naming, *typed)
    choosing = StateFilter(CourseStates.add_kind, CourseStates.add_programme)
    router.message.register(kind_typed, choosing, *typed)
    topic_hours_or_number = StateFilter(
        CourseStates.add_topic, CourseStates.add_hours, CourseStates.add_certificate_number
    )
    router.message.register(add_optional_typed, topic_hours_or_number, *typed)
    file_step = StateFilter(CourseStates.add_certificate_file)
    router.message.register(add_file_sent, file_step, F.document | F.photo)
    router.message.register(add_file_typed, file_step, *typed)
    return router
