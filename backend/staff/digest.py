"""The weekly digest of an organisation's roster: who is overdue, who is due soon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from backend.delivery.render import Part, render_text
from backend.i18n import N_, Message, language_or_default, msg, msg_plural, translations


@dataclass(frozen=True)
class DigestRow:
    full_name: str
    position: str | None  # position id of the rules data ("2.4"), None when not given
    position_name: dict[str, str]  # {"kk": ..., "ru": ..., "en": ...}; empty without a position
    last_course_on: dt.date | None
    due_on: dt.date | None
    days_left: int | None  # negative: overdue by that many days
    linked: bool  # the teacher opened their invitation and uses the bot


@dataclass(frozen=True)
class Digest:
    organisation_id: int
    organisation_name: str
    today: dt.date
    overdue: list[DigestRow] = field(default_factory=list)  # most overdue first
    due_soon: list[DigestRow] = field(default_factory=list)  # soonest first
    without_date: list[DigestRow] = field(default_factory=list)  # no course date known
    total: int = 0  # roster entries


DIGEST_LIST_LIMIT = 15  # names per section in the message; the attachment has everyone
NAME_LIMIT = 60  # characters of a name in the message (positions are in the file only)
MESSAGE_LIMIT = 4000  # Telegram takes 4096 characters

LANGUAGES = ("kk", "ru", "en")

# The attachment's columns and statuses (msgids, translated into the recipient's language).
HEADER = (
    N_("Full name"),
    N_("Position"),
    N_("Last course"),
    N_("Due on"),
    N_("Days left"),
    N_("Uses the bot"),
    N_("Status"),
)
STATUS = {
    "overdue": N_("overdue"),
    "due_soon": N_("due soon"),
    "without_date": N_("no date"),
}


def _date(value: dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _line(row: DigestRow) -> Message:
    days = row.days_left or 0
    if days < 0:
        when = msg_plural("{days} day late", "{days} days late", -days, days=-days)
    else:
        when = msg_plural("{days} day left", "{days} days left", days, days=days)
    name = row.full_name if len(row.full_name) <= NAME_LIMIT else row.full_name[:NAME_LIMIT] + "…"
    return msg(N_("• {name} — {date} ({when})"), name=name, date=_date(row.due_on), when=when)


def _section(heading: Message, rows: list[DigestRow]) -> list[Part]:
    lines: list[Part] = [heading, *(_line(row) for row in rows[:DIGEST_LIST_LIMIT])]
    if len(rows) > DIGEST_LIST_LIMIT:
        more = len(rows) - DIGEST_LIST_LIMIT
        lines.append(msg(N_("…and {count} more (see the file)"), count=more))
    return lines


def digest_parts(digest: Digest, due_soon_days: int, *, weekly: bool = True) -> list[Part]:
    """The digest message as lines of message keys, translated when sent (long lists are cut:
    the file has everyone). ``weekly=False``: an export asked for now, titled without "weekly".
    """
    org = digest.organisation_name
    title = msg(N_("📋 Weekly digest: {org}"), org=org)
    if not weekly:  # the same lists asked for at any time
        title = msg(N_("📋 Course digest: {org}"), org=org)
    lines: list[Part] = [title, ""]
    if digest.overdue:
        heading = msg(N_("⛔ Overdue ({count}):"), count=len(digest.overdue))
        lines += [*_section(heading, digest.overdue), ""]
    if digest.due_soon:
        heading = msg(
            N_("⏳ Due within {days} days ({count}):"),
            days=due_soon_days,
            count=len(digest.due_soon),
        )
        lines += [*_section(heading, digest.due_soon), ""]
    if not digest.overdue and not digest.due_soon:
        lines += [msg(N_("✅ Nobody is overdue or due soon.")), ""]
    if digest.without_date:
        lines.append(msg(N_("❔ No course date: {count}"), count=len(digest.without_date)))
    lines.append(msg(N_("On the roster: {count}"), count=digest.total))
    return lines


def digest_payload(digest: Digest, due_soon_days: int) -> dict[str, Any]:
    """The outbox payload of the digest message."""
    return {"parts": digest_parts(digest, due_soon_days)}


def digest_text(digest: Digest, language: str, due_soon_days: int, *, weekly: bool = True) -> str:
    """The digest message in one language now (the bot's on-demand export: ``weekly=False``)."""
    text = render_text({"parts": digest_parts(digest, due_soon_days, weekly=weekly)}, language)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def digest_caption(digest: Digest) -> Message:
    return msg(N_("Weekly digest file: {org}"), org=digest.organisation_name[:900])


def digest_table(digest: Digest, language: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The header and rows of the attachment: overdue, due soon, then unknown dates."""
    language = language_or_default(language)
    t = translations(language)
    yes, no = t.gettext("yes"), t.gettext("no")
    rows: list[list[Any]] = []
    for status, group in (
        ("overdue", digest.overdue),
        ("due_soon", digest.due_soon),
        ("without_date", digest.without_date),
    ):
        for row in group:
            rows.append(
                [
                    row.full_name,
                    row.position_name.get(language) or row.position or "",
                    row.last_course_on,
                    row.due_on,
                    row.days_left,
                    yes if row.linked else no,
                    t.gettext(STATUS[status]),
                ]
            )
    return tuple(t.gettext(column) for column in HEADER), rows


def digest_filename(digest: Digest, extension: str) -> str:
    return f"sanat-digest-{digest.organisation_id}-{digest.today.isoformat()}.{extension}"
