"""The monthly duty and its submissions in the bot (included by ``channels.create_router``).

* ``/duty`` (an organisation's head or HR): the monthly duty day and the responsible employee.
* "Send material" under a duty reminder: the next message becomes a submission for review;
  curators relay it to a channel or reject it with the buttons under it.

Who may do what is decided by ``backend.channels.duty`` and ``backend.channels.relay``;
the user is always the Telegram sender, callback data only names ids.
"""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.channels import duty
from backend.channels import registration as channels
from backend.channels import relay as submissions
from backend.models import Organisation, UserRead
from backend.models.types import utcnow
from backend.settings import Settings
from bot.context import BotContext
from bot.handlers.channels.keyboards import (
    DutyCallback,
    DutySetCallback,
    RelayCallback,
    SubmissionCallback,
    duty_keyboard,
    members_keyboard,
    organisations_duty_keyboard,
    relay_keyboard,
)
from bot.handlers.channels.states import DutyStates
from bot.shared.screen import Screen, show

MEMBERS_SHOWN = 30
# What a curator pressing "Relay", "Reject" or a channel may run into.
REVIEW_ERRORS = (
    duty.DutyAccessError,
    submissions.SubmissionNotFoundError,
    submissions.SubmissionStateError,
)


def _not_setter() -> str:
    return _("Sorry, only an organisation's head or HR can set the monthly duty.")


def _not_responsible() -> str:
    return _("Sorry, only the organisation's responsible employee can do this.")


def _already_reviewed() -> str:
    return _("This material was already reviewed.")


def _review_refusal(error: Exception) -> str:
    if isinstance(error, submissions.SubmissionStateError):
        return _already_reviewed()
    return _("Sorry, this material is outside what you can review.")


def _alert(callback_answer: CallbackAnswer, text: str) -> None:
    callback_answer.text = text
    callback_answer.show_alert = True


# --- /duty -------------------------------------------------------------------------------------
async def _duty_screen(session: AsyncSession, organisation: Organisation) -> Screen:
    assert organisation.id is not None
    responsible = None
    if organisation.responsible_user_id is not None:
        for person, _role in await duty.members(session, organisation.id):
            if person.id == organisation.responsible_user_id:
                responsible = person.full_name or person.username or str(person.telegram_id)
    text = "\n".join(
        [
            f"<b>{escape(organisation.name)}</b>",
            _(
                "Once a month the responsible employee sends the college's news for the "
                "channel. On the duty day, if nothing was sent that month, I remind them."
            ),
            _("Duty day: {day}").format(
                day=organisation.duty_day if organisation.duty_day else _("not set")
            ),
            _("Responsible person: {name}").format(
                name=escape(responsible) if responsible else _("not set")
            ),
        ]
    )
    return Screen(text, duty_keyboard(organisation.id))


async def duty_command(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await state.set_state(None)
    session: AsyncSession = ctx.session
    mine = await duty.staff_organisations(session, ctx.user.id)
    if not mine:
        await message.answer(_not_setter())
        return
    if len(mine) == 1:
        await show(message, await _duty_screen(session, mine[0]), new=True)
        return
    await show(
        message,
        Screen(_("Choose the organisation:"), organisations_duty_keyboard(mine)),
        new=True,
    )


async def _settable(
    callback_data: DutySetCallback, callback_answer: CallbackAnswer, ctx: BotContext
) -> Organisation | None:
    """The organisation of the button if the user sets its duty; else None, after saying so."""
    mine = {o.id: o for o in await duty.staff_organisations(ctx.session, ctx.user.id)}
    organisation = mine.get(callback_data.org)
    if organisation is None:
        _alert(callback_answer, _not_setter())
    return organisation


async def duty_day(
    query: CallbackQuery,
    callback_data: DutySetCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    organisation = await _settable(callback_data, callback_answer, ctx)
    if organisation is None:
        return
    await state.set_state(DutyStates.day)
    await state.update_data(organisation_id=organisation.id)
    await show(query, Screen(_("Type the day of the month, from 1 to 28:")), new=True)


async def duty_who(
    query: CallbackQuery,
    callback_data: DutySetCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await _settable(callback_data, callback_answer, ctx) is None:
        return
    people = [p for p, _role in await duty.members(ctx.session, callback_data.org)]
    await show(
        query,
        Screen(
            _("Who is responsible?"),
            members_keyboard(callback_data.org, people[:MEMBERS_SHOWN]),
        ),
    )


async def duty_responsible(
    query: CallbackQuery,
    callback_data: DutySetCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """ "me" (the user) or "pick" (the person of the button) is responsible from now on."""
    organisation = await _settable(callback_data, callback_answer, ctx)
    if organisation is None:
        return
    responsible = ctx.user.id if callback_data.a == "me" else callback_data.user
    try:
        organisation = await duty.set_duty(
            ctx.session,
            callback_data.org,
            organisation.duty_day,
            responsible,
            actor_id=ctx.user.id,
        )
    except (duty.DutyInputError, duty.DutyAccessError):
        _alert(callback_answer, _("That person is not on the organisation's staff."))
        return
    await state.set_state(None)
    await show(query, await _duty_screen(ctx.session, organisation))


async def duty_open(
    query: CallbackQuery,
    callback_data: DutySetCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """The organisation's duty screen (any other action, from an older version, too)."""
    organisation = await _settable(callback_data, callback_answer, ctx)
    if organisation is None:
        return
    await state.set_state(None)
    await show(query, await _duty_screen(ctx.session, organisation))


async def day_typed(message: Message, state: FSMContext, ctx: BotContext) -> None:
    session: AsyncSession = ctx.session
    organisation_id = int((await state.get_data())["organisation_id"])
    text = (message.text or "").strip()
    organisation = await session.get(Organisation, organisation_id)
    if not text.isdigit() or organisation is None:
        await message.answer(_("Please type a number from 1 to 28."))
        return
    try:
        organisation = await duty.set_duty(
            session,
            organisation_id,
            int(text),
            organisation.responsible_user_id,
            actor_id=ctx.user.id,
        )
    except duty.DutyInputError:
        await message.answer(_("Please type a number from 1 to 28."))
        return
    except duty.DutyAccessError:
        await state.set_state(None)
        await message.answer(_not_setter())
        return
    await state.set_state(None)
    await show(message, await _duty_screen(session, organisation), new=True)


# --- submissions -------------------------------------------------------------------------------
async def send_material(
    query: CallbackQuery,
    callback_data: DutyCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    try:
        organisation = await submissions.may_submit(ctx.session, ctx.user.id, callback_data.org_id)
    except duty.DutyAccessError:
        _alert(callback_answer, _not_responsible())
        return
    await state.set_state(DutyStates.material)
    await state.update_data(organisation_id=organisation.id)
    await show(
        query,
        Screen(
            _(
                "Send me the material for «{name}» now: a text, a photo, a document or a "
                "forwarded channel post. A curator reviews it before it goes to the channel."
            ).format(name=escape(organisation.name))
        ),
        new=True,
    )


async def material_received(message: Message, state: FSMContext, ctx: BotContext) -> None:
    settings: Settings = ctx.settings
    organisation_id = int((await state.get_data())["organisation_id"])
    await state.set_state(None)
    try:
        _submission, curators = await submissions.submit(
            ctx.session,
            organisation_id=organisation_id,
            user_id=ctx.user.id,
            source_chat_id=message.chat.id,
            source_message_id=message.message_id,
            now=utcnow(),
            settings=settings,
        )
    except duty.DutyAccessError:
        await message.answer(_not_responsible())
        return
    except submissions.DuplicateSubmissionError:
        await message.answer(_("This message is already submitted."))
        return
    if curators:
        await message.answer(_("✅ Thank you! The material is sent to the curator for review."))
    else:
        await message.answer(
            _("The material is saved, but no curator serves your organisation yet.")
        )


async def submission_rejected(
    query: CallbackQuery,
    callback_data: SubmissionCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """ "Reject" under a submission: the employee is told."""
    try:
        await submissions.reject(ctx.session, callback_data.id, ctx.user.id, utcnow())
    except REVIEW_ERRORS as error:
        _alert(callback_answer, _review_refusal(error))
        return
    callback_answer.text = _("Rejected: the employee is told.")


async def submission_action(
    query: CallbackQuery,
    callback_data: SubmissionCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """ "Relay" under a submission: choose the channel next."""
    session: AsyncSession = ctx.session
    user: UserRead = ctx.user
    try:
        found = await submissions.review(session, callback_data.id, user.id)
    except REVIEW_ERRORS as error:
        _alert(callback_answer, _review_refusal(error))
        return
    if found.submission.status == "rejected":
        _alert(callback_answer, _already_reviewed())
        return
    targets = await channels.list_channels(session, user.id)
    if not targets:
        _alert(callback_answer, _("There is no channel you can post to yet."))
        return
    assert found.submission.id is not None
    await show(
        query,
        Screen(
            _("Post the material of «{name}» to which channel?").format(
                name=escape(found.organisation.name)
            ),
            relay_keyboard(found.submission.id, targets),
        ),
        new=True,
    )


async def relay_chosen(
    query: CallbackQuery,
    callback_data: RelayCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    try:
        fresh = await submissions.relay(
            ctx.session, callback_data.id, callback_data.ch, ctx.user.id, utcnow()
        )
    except REVIEW_ERRORS as error:
        _alert(callback_answer, _review_refusal(error))
        return
    callback_answer.text = (
        _("✅ Queued for posting to the channel.")
        if fresh
        else _("It is already queued for that channel.")
    )


def create_router() -> Router:
    router = Router(name=__name__)
    private = F.chat.type == ChatType.PRIVATE
    router.message.register(duty_command, Command("duty"), private)
    router.message.register(day_typed, DutyStates.day, private, F.text)
    # A command typed meanwhile is a command, not material (other routers or the fallback).
    not_command = ~F.text.startswith("/")
    router.message.register(material_received, DutyStates.material, private, not_command)
    router.callback_query.register(duty_day, DutySetCallback.filter(F.a == "day"))
    router.callback_query.register(duty_who, DutySetCallback.filter(F.a == "who"))
    router.callback_query.register(
        duty_responsible, DutySetCallback.filter(F.a.in_(("me", "pick")))
    )
    router.callback_query.register(duty_open, DutySetCallback.filter())
    router.callback_query.register(send_material, DutyCallback.filter())
    router.callback_query.register(submission_rejected, SubmissionCallback.filter(F.action == "x"))
    router.callback_query.register(submission_action, SubmissionCallback.filter())
    router.callback_query.register(relay_chosen, RelayCallback.filter())
    return router
