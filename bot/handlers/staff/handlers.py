"""My organisation (college/school staff): the section, its buttons, the digest and invites.

Joining by an invitation link is in ``join`` and uploading the roster in ``roster`` (the
package joins the routers); the organisation screen and the helpers they share are in
``screens``.

The user is always the Telegram sender; every button names an organisation by id, and each
press asks ``backend.staff`` whether the sender is on that organisation's staff.
Reading files, checking rows and computing the digest belong to the service.
"""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from backend import staff
from backend.settings import Settings
from backend.staff.digest import digest_filename, digest_text
from bot.context import BotContext
from bot.handlers.staff.keyboards import (
    EXPORT,
    INVITE,
    INVITE_PAGE_SIZE,
    STUDENTS,
    UPLOAD,
    InviteEntryCallback,
    InvitePageCallback,
    StaffOrgCallback,
    back_to_organisation_keyboard,
    invite_keyboard,
    organisations_keyboard,
)
from bot.handlers.staff.roster import start_upload
from bot.handlers.staff.screens import (
    leave_upload,
    organisation_digest,
    show_organisation,
    staff_memberships,
    staff_or_refuse,
)
from bot.shared.screen import Screen, show

MESSAGE_LIMIT = 4096


# --- the section ------------------------------------------------------------------------------
async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, ctx: BotContext
) -> None:
    """The menu item of this section: the organisation, or a choice when there are several."""
    await leave_upload(state)
    organisations = [(org.id, org.name) for org, _role in await staff_memberships(ctx) if org.id]
    if not organisations:
        text = _(
            "You are not on the staff of any organisation. Ask your organisation's "
            "administrator for an invitation link."
        )
        await show(event, Screen(text, organisations_keyboard([])), new=new)
        return
    if len(organisations) == 1:
        await show_organisation(event, organisations[0][0], new=new, ctx=ctx)
        return
    text = _("You are on the staff of several organisations. Choose one:")
    await show(event, Screen(text, organisations_keyboard(organisations)), new=new)


async def org_upload(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await staff_or_refuse(ctx, callback_data.o, callback_answer):
        await start_upload(query, callback_data.o, state)


async def org_digest(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await staff_or_refuse(ctx, callback_data.o, callback_answer):
        await send_digest(query, callback_data.o, ctx=ctx)


async def org_invite(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await staff_or_refuse(ctx, callback_data.o, callback_answer):
        await show_invite_page(query, callback_data.o, 0, ctx=ctx)


async def org_students(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if await staff_or_refuse(ctx, callback_data.o, callback_answer):
        await show_student_link(query, callback_data.o, ctx=ctx)


async def org_open(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    """The organisation itself (any other action, from an older version, too)."""
    if await staff_or_refuse(ctx, callback_data.o, callback_answer):
        await leave_upload(state)
        await show_organisation(query, callback_data.o, ctx=ctx)


# --- the digest -------------------------------------------------------------------------------
async def send_digest(query: CallbackQuery, org_id: int, ctx: BotContext) -> None:
    i18n: I18n = ctx.i18n
    digest = await organisation_digest(org_id, ctx)
    language = i18n.current_locale
    csv_body, xlsx_body = staff.digest_files(digest, language)
    if not isinstance(query.message, Message):
        return
    # The weekly digest's lists under a title without "weekly"; plain text, as names come
    # from an uploaded file.
    text = digest_text(digest, language, staff.DUE_SOON_DAYS, weekly=False)
    for start in range(0, len(text), MESSAGE_LIMIT):
        await query.message.answer(text[start : start + MESSAGE_LIMIT], parse_mode=None)
    for body, extension in ((csv_body, "csv"), (xlsx_body, "xlsx")):
        upload = BufferedInputFile(body, filename=digest_filename(digest, extension))
        await query.message.answer_document(upload)
    await show_organisation(query, org_id, new=True, ctx=ctx)


# --- invitation links: a teacher of the roster, or a group of new students -------------------
async def _invitation_link(bot: Bot, settings: Settings, token: str) -> str:
    """The t.me link opening the bot with the token; a configured username saves a request."""
    if settings.bot.username:
        username = settings.bot.username.lstrip("@")
    else:
        username = (await bot.me()).username or ""
    return staff.invitation_link(username, token)


async def show_invite_page(query: CallbackQuery, org_id: int, page: int, ctx: BotContext) -> None:
    roster = await staff.roster_entries(session=ctx.session, organisation_id=org_id)
    entries = [entry for entry in roster if entry.user_id is None and entry.id is not None]
    if not entries:
        text = _(
            "Everyone on the roster is already linked, or the roster is empty: upload it first."
        )
        await show(query, Screen(text, back_to_organisation_keyboard(org_id)))
        return
    pages = max(1, -(-len(entries) // INVITE_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * INVITE_PAGE_SIZE : (page + 1) * INVITE_PAGE_SIZE]
    text = _(
        "Choose a teacher to get a personal invitation link for them (page {page} of {pages}):"
    ).format(page=page + 1, pages=pages)
    markup = invite_keyboard(org_id, [(e.id or 0, e.full_name) for e in shown], page, pages)
    await show(query, Screen(text, markup))


async def invite_page(
    query: CallbackQuery,
    callback_data: InvitePageCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    if not await staff_or_refuse(ctx, callback_data.o, callback_answer):
        return
    await show_invite_page(query, callback_data.o, callback_data.p, ctx=ctx)


async def invite_entry(
    query: CallbackQuery,
    callback_data: InviteEntryCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    ctx: BotContext,
) -> None:
    org_id = callback_data.o
    if not await staff_or_refuse(ctx, org_id, callback_answer):
        return
    session = ctx.session
    settings: Settings = ctx.settings
    roster = await staff.roster_entries(session=session, organisation_id=org_id)
    entry = next((e for e in roster if e.id == callback_data.e and e.user_id is None), None)
    if entry is None:
        callback_answer.text = _("That teacher is no longer on the roster, or is already linked.")
        callback_answer.show_alert = True
        await show_invite_page(query, org_id, 0, ctx=ctx)
        return
    created = await staff.roster_invitation(
        session=session,
        organisation_id=org_id,
        roster_entry_id=callback_data.e,
        created_by=ctx.user.id,
        ttl_days=settings.staff.invitation_ttl_days,
    )
    link = await _invitation_link(bot, settings, created.token)
    # The name stands alone after a label: Russian and Kazakh would otherwise decline it.
    text = _(
        "Personal invitation link\nStaff member: {name}\n{link}\n\nSend it to this person: "
        "whoever opens it is linked to this record on the roster. The link is shown only once."
    ).format(name=escape(entry.full_name), link=link)
    await show(query, Screen(text, back_to_organisation_keyboard(org_id)))


async def show_student_link(query: CallbackQuery, org_id: int, ctx: BotContext) -> None:
    """One link for a whole group: whoever opens it joins as a student of the organisation."""
    settings: Settings = ctx.settings
    created = await staff.create_invitation(
        session=ctx.session,
        organisation_id=org_id,
        role=staff.STUDENT_ROLE,
        ttl_days=settings.staff.invitation_ttl_days,
        created_by=ctx.user.id,
    )
    link = await _invitation_link(ctx.bot, settings, created.token)
    text = _(
        "Link for new students:\n{link}\n\nPost it in the new students' chat: whoever opens it "
        "joins as a student of the organisation and receives its news and the channel's "
        "updates. It works for {days} days and is shown only once."
    ).format(link=link, days=settings.staff.invitation_ttl_days)
    await show(query, Screen(text, back_to_organisation_keyboard(org_id)))


def create_router() -> Router:
    router = Router(name=__name__)
    # every organisation button checks first that the user is on that organisation's staff
    organisation = StaffOrgCallback.filter
    router.callback_query.register(org_upload, organisation(F.a == UPLOAD))
    router.callback_query.register(org_digest, organisation(F.a == EXPORT))
    router.callback_query.register(org_invite, organisation(F.a == INVITE))
    router.callback_query.register(org_students, organisation(F.a == STUDENTS))
    router.callback_query.register(org_open, organisation())
    router.callback_query.register(invite_page, InvitePageCallback.filter())
    router.callback_query.register(invite_entry, InviteEntryCallback.filter())
    return router
