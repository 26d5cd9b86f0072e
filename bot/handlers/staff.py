"""My organisation (college/school staff): its screen, roster upload, digest and invites.

Joining by an invitation link is in ``bot.handlers.staff_join``, included from this router.

The user is always the Telegram sender; every button names an organisation by id, and each
press asks ``backend.services.staff`` whether the sender is on that organisation's staff.
Reading files, checking rows and computing the digest belong to the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Document, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from backend.exports import to_csv
from backend.models import Organisation
from backend.services import assessments, staff
from backend.settings import Settings
from backend.staff.digest import digest_filename, digest_text
from backend.staff.roster import ImportReport, RowError
from bot.flow import show
from bot.handlers.staff_join import create_router as create_join_router
from bot.handlers.staff_join import role_label
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
from bot.screens import Screen

ORG_KEY = "staff_org"  # the organisation whose roster is being uploaded, in the FSM data
ROSTER_EXTENSIONS = (".csv", ".xlsx")
REPORT_ERROR_LINES = 20
MESSAGE_BUDGET = 3500  # stay well under Telegram's 4096 characters, whatever the language
MESSAGE_LIMIT = 4096


class StaffStates(StatesGroup):
    upload = State()  # waiting for the roster file (.csv or .xlsx) as a document


# --- roster upload texts ----------------------------------------------------------------------
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


def _not_staff_text() -> str:
    return _("Sorry, this is only for the staff of that organisation. Use /start for the menu.")


def _refuse(callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _not_staff_text()
    callback_answer.show_alert = True


async def _digest(org_id: int, deps: dict[str, Any]) -> staff.Digest:
    return await staff.digest(
        session=deps["session"],
        organisation_id=org_id,
        today=_today(deps),
        ruleset=deps["ruleset"],
    )


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
    digest = await _digest(org_id, deps)
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
    digest = await _digest(org_id, deps)
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
    # backend.exports keeps a value like "=HYPERLINK(...)" from running as a formula.
    return to_csv(
        [_("line"), _("reason"), _("value")],
        ([error.line, row_problem(error.code), error.detail or ""] for error in errors),
    )


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
        await message.answer(_not_staff_text())
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
    router.include_router(create_join_router())  # /start <token> before the menu's /start
    uploading = StateFilter(StaffStates.upload)
    router.message.register(roster_document, uploading, F.document)
    router.message.register(not_a_document, uploading, ~F.text.startswith("/"))
    router.callback_query.register(organisation_action, StaffOrgCallback.filter())
    router.callback_query.register(invite_page, InvitePageCallback.filter())
    router.callback_query.register(invite_entry, InviteEntryCallback.filter())
    return router
