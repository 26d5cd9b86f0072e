"""My organisation (college/school staff): joining by invitation link, roster, digest, invites.

The user is always the Telegram sender; every button names an organisation by id, and each
press asks ``backend.services.staff`` whether the sender is on that organisation's staff.
Reading files, checking rows and computing the digest belong to the service.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Document, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from backend.models import Organisation, UserRead
from backend.models.types import utcnow
from backend.services import assessments, staff
from backend.services.users import get_or_create_user
from backend.settings import Settings
from backend.staff.digest import digest_filename, digest_text
from backend.staff.roster import ImportReport, RowError
from bot.flow import show
from bot.handlers.start import LANGUAGE_PROMPT
from bot.keyboards.common import language_keyboard
from bot.keyboards.staff import (
    EXPORT,
    INVITE,
    INVITE_PAGE_SIZE,
    UPLOAD,
    InviteEntryCallback,
    InvitePageCallback,
    StaffOrgCallback,
    back_to_organisation_keyboard,
    invite_keyboard,
    organisation_keyboard,
    organisations_keyboard,
)
from bot.screens import Screen, menu_screen

# Invitation tokens are ``secrets.token_urlsafe(TOKEN_BYTES)``: exactly this many characters of
# [A-Za-z0-9_-]. Anything else after /start (a word, another kind of deep link) is left to the
# menu's plain /start instead of being refused as a bad invitation.
TOKEN_CHARS = math.ceil(staff.TOKEN_BYTES * 4 / 3)
INVITATION_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_CHARS}}}$")
ORG_KEY = "staff_org"  # the organisation whose roster is being uploaded, in the FSM data
ROSTER_EXTENSIONS = (".csv", ".xlsx")
REPORT_ERROR_LINES = 20
MESSAGE_BUDGET = 3500  # stay well under Telegram's 4096 characters, whatever the language
MESSAGE_LIMIT = 4096


class StaffStates(StatesGroup):
    upload = State()  # waiting for the roster file (.csv or .xlsx) as a document


# --- texts ------------------------------------------------------------------------------------
def role_label(role: str) -> str:
    labels = {
        "head": _("head of the organisation"),
        "hr": _("HR specialist"),
        "methodist": _("methodist"),
        "teacher": _("teacher"),
    }
    return labels.get(role, role)


def invitation_problem(code: str) -> str:
    reasons = {
        "unknown": _(
            "This invitation link is not valid. Check that you opened the whole link, or ask "
            "for a new one."
        ),
        "expired": _(
            "This invitation link has expired. Ask the person who sent it for a new one."
        ),
        "revoked": _(
            "This invitation link was withdrawn. Ask the person who sent it for a new one."
        ),
        "used_up": _(
            "This invitation link has already been used. Ask the person who sent it for a new one."
        ),
    }
    return reasons.get(code, reasons["unknown"])


def roster_file_problem(code: str, settings: Settings) -> str:
    megabytes = settings.staff.roster_max_bytes / (1024 * 1024)
    reasons = {
        "too_large": _(
            "The file is too large: the limit is {size:.1f} MB. Split the roster into several "
            "files and send them one by one."
        ).format(size=megabytes),
        "too_many_rows": _(
            "The file has too many rows: the limit is {rows}. Split the roster into several "
            "files and send them one by one."
        ).format(rows=settings.staff.roster_max_rows),
        "unreadable": _(
            "I could not read this file. Save it as .csv (UTF-8) or .xlsx and send it again."
        ),
        "no_header": _(
            "The file has no header row. The first row must name the columns: full name, "
            "position, Telegram username, last course date, category."
        ),
        "missing_columns": _(
            "Some required columns are missing. The first row must name the columns: full "
            "name, position, Telegram username, last course date, category."
        ),
    }
    return reasons.get(code, reasons["unreadable"])


def row_problem(code: str) -> str:
    reasons = {
        "no_name": _("the full name is empty"),
        "name_too_long": _("the full name is too long"),
        "unknown_position": _("unknown position"),
        "ambiguous_position": _(
            "the position number lost a zero in the spreadsheet (2.1 or 2.10?): type it as "
            "text or write the position name"
        ),
        "bad_date": _("the last course date is not a date (use DD.MM.YYYY)"),
        "future_date": _("the last course date is in the future"),
        "date_too_old": _("the last course date is too early"),
        "unknown_category": _("unknown category"),
        "bad_username": _("not a Telegram username"),
        "duplicate": _("the same person appears twice in the file"),
    }
    return reasons.get(code, _("the row could not be read"))


def row_reason(error: RowError) -> str:
    """ "line N: reason (value)" for one bad row of a roster file."""
    if error.code == "duplicate":  # the detail is the line where the person first appears
        reason = _("the same person is already on line {first}").format(
            first=escape(str(error.detail))
        )
    else:
        reason = row_problem(error.code)
        if error.detail:
            reason += f" ({escape(str(error.detail)[:80])})"
    return _("line {line}: {reason}").format(line=error.line, reason=reason)


def upload_instructions() -> str:
    return _(
        "Send the roster as a file (.csv or .xlsx), as a document.\n\n"
        "The first row names the columns:\n"
        "• full name;\n"
        "• position (its number in the rules, e.g. 3.14, or its name);\n"
        "• Telegram username (optional);\n"
        "• last course date (DD.MM.YYYY);\n"
        "• category.\n\n"
        "Good rows are added or updated; every bad row is listed with its line number. "
        "/cancel stops."
    )


# --- helpers ----------------------------------------------------------------------------------
def _today(deps: dict[str, Any]) -> dt.date:
    settings: Settings = deps["settings"]
    return assessments.today_in(settings.tz)


async def _staff_org(deps: dict[str, Any], org_id: int) -> Organisation | None:
    """The organisation if the sender is on its staff, else None (a forged or stale button)."""
    try:
        return await staff.staff_organisation(
            session=deps["session"], user_id=deps["user"].id, organisation_id=org_id
        )
    except staff.NotStaffError:
        return None


async def _staff_memberships(deps: dict[str, Any]) -> list[tuple[Organisation, str]]:
    """The organisations where the sender is head, HR or methodist (a teacher sees none)."""
    memberships = await staff.memberships_of(session=deps["session"], user_id=deps["user"].id)
    return [(org, role) for org, role in memberships if role in staff.STAFF_ROLES]


def _refuse(callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _(
        "Sorry, this is only for the staff of that organisation. Use /start for the menu."
    )
    callback_answer.show_alert = True


# --- joining by invitation link ---------------------------------------------------------------
async def join_by_link(
    message: Message, command: CommandObject, user: UserRead, **deps: Any
) -> None:
    session = deps["session"]
    token = command.args or ""
    try:
        joined = await staff.redeem_invitation(
            session=session, token=token, user_id=user.id, now=utcnow()
        )
    except staff.InvitationError as error:
        await message.answer(invitation_problem(error.code))
    else:
        text = _("Welcome! You joined «{organisation}». Your role: {role}.").format(
            organisation=escape(joined.organisation.name), role=role_label(joined.role)
        )
        if joined.roster_entry is not None:
            text += "\n" + _("Your record on its roster is now linked to you: {name}.").format(
                name=escape(joined.roster_entry.full_name)
            )
        await message.answer(text)
        sender = message.from_user
        if sender is not None:  # the roles changed: read them again for the menu
            user = await get_or_create_user(
                session=session,
                telegram_id=sender.id,
                username=sender.username,
                full_name=sender.full_name,
            )
    if user.language is None:  # a first contact: the menu comes after the language choice
        await message.answer(LANGUAGE_PROMPT, reply_markup=language_keyboard())
        return
    screen = menu_screen(user.roles)
    await message.answer(screen.text, reply_markup=screen.markup)


# --- the section ------------------------------------------------------------------------------
async def open_section(
    event: Message | CallbackQuery, state: FSMContext, *, new: bool = False, **deps: Any
) -> None:
    """The menu item of this section: the organisation, or a choice when there are several."""
    if await state.get_state() == StaffStates.upload.state:
        await state.set_state(None)
    organisations = [(org.id, org.name) for org, _role in await _staff_memberships(deps) if org.id]
    if not organisations:
        text = _(
            "You are not on the staff of any organisation. Ask your organisation's "
            "administrator for an invitation link."
        )
        await show(event, Screen(text, organisations_keyboard([])), new=new)
        return
    if len(organisations) == 1:
        await show_organisation(event, organisations[0][0], new=new, **deps)
        return
    text = _("You are on the staff of several organisations. Choose one:")
    await show(event, Screen(text, organisations_keyboard(organisations)), new=new)


async def organisation_screen(org_id: int, **deps: Any) -> Screen:
    memberships = await _staff_memberships(deps)
    role = next((role for org, role in memberships if org.id == org_id), "")
    digest = await staff.digest(
        session=deps["session"],
        organisation_id=org_id,
        today=_today(deps),
        ruleset=deps["ruleset"],
    )
    lines = [
        f"🏫 <b>{escape(digest.organisation_name)}</b>",
        _("Your role: {role}").format(role=role_label(role)),
        "",
        _("Teachers on the roster: {total}").format(total=digest.total),
        _("Refresher course overdue: {count}").format(count=len(digest.overdue)),
        _("Due within {days} days: {count}").format(
            days=staff.DUE_SOON_DAYS, count=len(digest.due_soon)
        ),
    ]
    return Screen("\n".join(lines), organisation_keyboard(org_id, several=len(memberships) > 1))


async def show_organisation(
    event: Message | CallbackQuery, org_id: int, *, new: bool = False, **deps: Any
) -> None:
    await show(event, await organisation_screen(org_id, **deps), new=new)


async def organisation_action(
    query: CallbackQuery,
    callback_data: StaffOrgCallback,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    **deps: Any,
) -> None:
    org_id = callback_data.o
    if await _staff_org(deps, org_id) is None:
        _refuse(callback_answer)
        return
    action = callback_data.a
    if action == UPLOAD:
        await state.set_state(StaffStates.upload)
        await state.update_data({ORG_KEY: org_id})
        await show(query, Screen(upload_instructions(), back_to_organisation_keyboard(org_id)))
    elif action == EXPORT:
        await send_digest(query, org_id, **deps)
    elif action == INVITE:
        await show_invite_page(query, org_id, 0, **deps)
    else:
        if await state.get_state() == StaffStates.upload.state:
            await state.set_state(None)
        await show_organisation(query, org_id, **deps)


# --- the digest -------------------------------------------------------------------------------
async def send_digest(query: CallbackQuery, org_id: int, **deps: Any) -> None:
    i18n: I18n = deps["i18n"]
    digest = await staff.digest(
        session=deps["session"],
        organisation_id=org_id,
        today=_today(deps),
        ruleset=deps["ruleset"],
    )
    language = i18n.current_locale
    csv_body, xlsx_body = staff.digest_files(digest, language)
    if not isinstance(query.message, Message):
        return
    # The same text as the weekly digest; plain text, as names come from an uploaded file.
    text = digest_text(digest, language, staff.DUE_SOON_DAYS)
    for start in range(0, len(text), MESSAGE_LIMIT):
        await query.message.answer(text[start : start + MESSAGE_LIMIT], parse_mode=None)
    for body, extension in ((csv_body, "csv"), (xlsx_body, "xlsx")):
        upload = BufferedInputFile(body, filename=digest_filename(digest, extension))
        await query.message.answer_document(upload)
    await show_organisation(query, org_id, new=True, **deps)


# --- inviting a teacher of the roster ---------------------------------------------------------
async def show_invite_page(query: CallbackQuery, org_id: int, page: int, **deps: Any) -> None:
    roster = await staff.roster_entries(session=deps["session"], organisation_id=org_id)
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
    **deps: Any,
) -> None:
    if await _staff_org(deps, callback_data.o) is None:
        _refuse(callback_answer)
        return
    await show_invite_page(query, callback_data.o, callback_data.p, **deps)


async def _bot_username(bot: Bot, settings: Settings) -> str:
    if settings.bot.username:
        return settings.bot.username.lstrip("@")
    return (await bot.me()).username or ""


async def invite_entry(
    query: CallbackQuery,
    callback_data: InviteEntryCallback,
    callback_answer: CallbackAnswer,
    bot: Bot,
    **deps: Any,
) -> None:
    org_id = callback_data.o
    if await _staff_org(deps, org_id) is None:
        _refuse(callback_answer)
        return
    session = deps["session"]
    settings: Settings = deps["settings"]
    roster = await staff.roster_entries(session=session, organisation_id=org_id)
    entry = next((e for e in roster if e.id == callback_data.e and e.user_id is None), None)
    if entry is None:
        callback_answer.text = _("That teacher is no longer on the roster, or is already linked.")
        callback_answer.show_alert = True
        await show_invite_page(query, org_id, 0, **deps)
        return
    created = await staff.roster_invitation(
        session=session,
        organisation_id=org_id,
        roster_entry_id=callback_data.e,
        created_by=deps["user"].id,
        ttl_days=settings.staff.invitation_ttl_days,
    )
    link = staff.invitation_link(await _bot_username(bot, settings), created.token)
    text = _(
        "Invitation link for {name}:\n{link}\n\nSend it to them: when they open it, Sanat "
        "links them to their record on the roster. The link is shown only once."
    ).format(name=escape(entry.full_name), link=link)
    await show(query, Screen(text, back_to_organisation_keyboard(org_id)))


# --- uploading the roster ---------------------------------------------------------------------
def _errors_csv(errors: Sequence[RowError]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("line"), _("reason"), _("value")])
    for error in errors:
        # A leading = + - @ would make a spreadsheet run the cell as a formula.
        value = error.detail or ""
        if value[:1] in ("=", "+", "-", "@"):
            value = "'" + value
        writer.writerow([error.line, row_problem(error.code), value])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def import_report_text(report: ImportReport) -> str:
    lines = [
        _("Roster imported: {added} added, {updated} updated, {rows} rows in the file.").format(
            added=report.added, updated=report.updated, rows=report.rows_total
        )
    ]
    errors = list(report.errors)
    if not errors:
        return lines[0]
    lines.append("")
    lines.append(
        ngettext(
            "{count} row was not imported:",
            "{count} rows were not imported:",
            len(errors),
        ).format(count=len(errors))
    )
    shown = 0
    for error in errors[:REPORT_ERROR_LINES]:
        line = row_reason(error)
        if sum(len(x) + 1 for x in lines) + len(line) > MESSAGE_BUDGET:
            break
        lines.append(line)
        shown += 1
    if shown < len(errors):
        lines.append(
            _("…and {count} more (see the attached file).").format(count=len(errors) - shown)
        )
    return "\n".join(lines)


def _roster_file_ok(document: Document) -> bool:
    return (document.file_name or "").lower().endswith(ROSTER_EXTENSIONS)


async def roster_document(message: Message, state: FSMContext, bot: Bot, **deps: Any) -> None:
    settings: Settings = deps["settings"]
    session = deps["session"]
    org_id = (await state.get_data()).get(ORG_KEY)
    if not isinstance(org_id, int) or await _staff_org(deps, org_id) is None:
        await state.set_state(None)
        await message.answer(
            _("Sorry, this is only for the staff of that organisation. Use /start for the menu.")
        )
        return
    document = message.document
    assert document is not None  # the filter let only documents in
    if not _roster_file_ok(document):
        await message.answer(
            _("Please send the roster as a .csv or .xlsx file. /cancel stops the upload.")
        )
        return
    if document.file_size is not None and document.file_size > settings.staff.roster_max_bytes:
        await message.answer(roster_file_problem("too_large", settings))
        return
    downloaded = await bot.download(document.file_id)
    data = downloaded.read() if downloaded is not None else b""
    try:
        report = await staff.import_roster(
            session=session,
            organisation_id=org_id,
            filename=document.file_name or "roster",
            data=data,
            limits=settings.staff,
            ruleset=deps["ruleset"],
            today=_today(deps),
        )
    except staff.RosterFileError as error:
        await message.answer(roster_file_problem(error.code, settings))
        return
    await state.set_state(None)
    await message.answer(import_report_text(report))
    if report.errors:
        await message.answer_document(
            BufferedInputFile(_errors_csv(report.errors), filename="roster-errors.csv")
        )
    await show_organisation(message, org_id, new=True, **deps)


async def not_a_document(message: Message) -> None:
    await message.answer(
        _(
            "Please send the roster as a .csv or .xlsx file, attached as a document (not as a "
            "photo or text). /cancel stops the upload."
        )
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        join_by_link,
        CommandStart(deep_link=True, magic=F.args.regexp(INVITATION_TOKEN)),
    )
    uploading = StateFilter(StaffStates.upload)
    router.message.register(roster_document, uploading, F.document)
    router.message.register(not_a_document, uploading, ~F.text.startswith("/"))
    router.callback_query.register(organisation_action, StaffOrgCallback.filter())
    router.callback_query.register(invite_page, InvitePageCallback.filter())
    router.callback_query.register(invite_entry, InviteEntryCallback.filter())
    return router
