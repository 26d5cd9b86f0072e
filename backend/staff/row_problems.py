"""Why a roster row was refused: one set of reasons for the bot's report and the web console.

The texts are catalog msgids (marked with ``N_``), translated by each caller's own gettext.
"""

from __future__ import annotations

from collections.abc import Callable

from backend.i18n import N_

ROW_PROBLEMS: dict[str, str] = {
    "no_name": N_("the full name is empty"),
    "name_too_long": N_("the full name is too long"),
    "unknown_position": N_("unknown position"),
    "ambiguous_position": N_(
        "the position number lost a zero in the spreadsheet (2.1 or 2.10?): type it as "
        "text or write the position name"
    ),
    "bad_date": N_("the last course date is not a date (use DD.MM.YYYY)"),
    "no_such_date": N_("there is no such day: check the day and the month"),
    "unclosed_quote": N_("a quotation mark on this line is not closed"),
    "future_date": N_("the last course date is in the future"),
    "date_too_old": N_("the last course date is too early"),
    "unknown_category": N_("unknown category"),
    "bad_username": N_("not a Telegram username"),
}
UNREADABLE_ROW = N_("the row could not be read")


def row_problem_text(code: str, gettext: Callable[[str], str]) -> str:
    """The reason for ``code`` in the reader's language (``gettext`` is the caller's)."""
    return gettext(ROW_PROBLEMS.get(code, UNREADABLE_ROW))
