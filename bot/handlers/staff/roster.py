"""Uploading an organisation's roster: the instructions, the file, and the import report.

Reading the file and checking its rows belong to ``backend.staff``; this module only
takes the document and words the outcome. Included from ``bot.handlers.staff.create_router()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Document, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from backend import staff
from backend.exports import to_csv
from backend.roster_parsing.rows import ImportReport, RowError
from backend.settings import Settings
from backend.staff.row_problems import row_problem_text
from bot.context import BotContext
from bot.handlers.staff.keyboards import back_to_organisation_keyboard
from bot.handlers.staff.screens import ORG_KEY, not_staff_text, show_organisation, staff_org
from bot.handlers.staff.states import StaffStates
from bot.shared.screen import Screen, show

ROSTER_EXTENSIONS = (".csv", ".xlsx")
REPORT_ERROR_LINES = 20
MESSAGE_BUDGET = 3500  # stay well under Telegram's 4096 characters, whatever the language


# --- texts ------------------------------------------------------------------------------------
def column_name(column: str) -> str:
    names = {
        "full_name": _("full name"),
        "position": _("position"),
        "last_course_on": _("last course date"),
        "category": _("category"),
    }
    return names.get(column, column)


def roster_file_problem(code: str, settings: Settings, detail: str = "") -> str:
    """Why the whole file was refused; ``detail`` names the missing columns (ids, ", ")."""
    megabytes = settings.staff.roster_max_bytes / (1024 * 1024)
    missing = ", ".join(column_name(part.strip()) for part in detail.split(",") if part.strip())
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
            "Required columns are missing: {missing}. The first row must name the columns: "
            "full name, position, last course date, category (a Telegram username column is "
            "optional)."
        ).format(missing=missing or "?"),
    }
    return reasons.get(code, reasons["unreadable"])


def row_problem(code: str) -> str:
    if code == "duplicate":
        return _("the same person appears twice in the file")
    return row_problem_text(code, _)


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


async def start_upload(query: CallbackQuery, org_id: int, state: FSMContext) -> None:
    """Wait for this organisation's roster file; the caller has checked the sender is staff."""
    await state.set_state(StaffStates.upload)
    await state.update_data({ORG_KEY: org_id})
    await show(query, Screen(upload_instructions(), back_to_organisation_keyboard(org_id)))


# --- the file and the report ------------------------------------------------------------------
def _errors_csv(errors: Sequence[RowError], delimiter: str) -> bytes:
    # backend.exports keeps a value like "=HYPERLINK(...)" from running as a formula; the
    # upload's own delimiter, so the spreadsheet that opened the roster opens this too.
    return to_csv(
        [_("line"), _("reason"), _("value")],
        ([error.line, row_problem(error.code), error.detail or ""] for error in errors),
        delimiter=delimiter,
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


async def roster_document(message: Message, state: FSMContext, bot: Bot, ctx: BotContext) -> None:
    settings: Settings = ctx.settings
    session = ctx.session
    org_id = (await state.get_data()).get(ORG_KEY)
    if not isinstance(org_id, int) or await staff_org(ctx, org_id) is None:
        await state.set_state(None)
        await message.answer(not_staff_text())
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
            ruleset=ctx.ruleset,
            today=ctx.today(),
        )
    except staff.RosterFileError as error:
        await message.answer(roster_file_problem(error.code, settings, error.detail))
        return
    await state.set_state(None)
    await message.answer(import_report_text(report))
    if report.errors:
        await message.answer_document(
            BufferedInputFile(
                _errors_csv(report.errors, report.delimiter), filename="roster-errors.csv"
            )
        )
    await show_organisation(message, org_id, new=True, ctx=ctx)


async def not_a_document(message: Message) -> None:
    await message.answer(
        _(
            "Please send the roster as a .csv or .xlsx file, attached as a document (not as a "
            "photo or text). /cancel stops the upload."
        )
    )


def create_router() -> Router:
    router = Router(name=__name__)
    uploading = StateFilter(StaffStates.upload)
    router.message.register(roster_document, uploading, F.document)
    router.message.register(not_a_document, uploading, ~F.text.startswith("/"))
    return router
