"""The curator's self-updating progress message: its lines and inline keyboard as message keys
of the ``locales/`` catalogs.

Shared by the bot (the first progress message, rendered in the curator's language now) and the
backend ticker (which edits it through the outbox: the payload carries the keys, translated when
sent). Callback data follows the bot's ``bc`` factory: ``bc:<action>:<broadcast id>`` with
action p (pause), r (resume), x (cancel), csv (report).
"""

from __future__ import annotations

import math
from typing import Any

from backend.broadcasts.progress import DISPLAY_ZONE, Progress
from backend.broadcasts.statuses import BROADCAST_STATUS
from backend.delivery.render import Part, render_text
from backend.i18n import N_, Message, msg, translations

_BUTTONS = {
    "p": N_("⏸ Pause"),
    "r": N_("▶️ Resume"),
    "x": N_("✖️ Cancel"),
    "csv": N_("📄 Report (CSV)"),
}
REPORT_ACTION = "csv"

FINAL_STATUSES = frozenset({"done", "cancelled"})


def progress_parts(progress: Progress) -> list[Part]:
    """Counts, and an ETA while sending; plain text (no markup)."""
    known = progress.status in BROADCAST_STATUS
    status: Message | str = msg(BROADCAST_STATUS[progress.status]) if known else progress.status
    lines: list[Part] = [
        msg(N_("Broadcast #{id}"), id=progress.broadcast_id),
        msg(N_("Status: {status}"), status=status),
    ]
    if progress.status == "scheduled" and progress.scheduled_at is not None:
        when = progress.scheduled_at.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y %H:%M")
        lines.append(msg(N_("Sending at: {when} (Almaty time)"), when=when))
    lines.append(msg(N_("Recipients: {n}"), n=progress.total))
    lines.append(msg(N_("Sent: {n}"), n=progress.sent))
    lines.append(msg(N_("Failed: {n}"), n=progress.failed))
    lines.append(msg(N_("Blocked the bot: {n}"), n=progress.blocked))
    if progress.cancelled:
        lines.append(msg(N_("Cancelled: {n}"), n=progress.cancelled))
    if progress.status not in FINAL_STATUSES:
        lines.append(msg(N_("Remaining: {n}"), n=progress.remaining))
    if progress.status == "running" and progress.eta_seconds is not None and progress.remaining:
        minutes = max(1, math.ceil(progress.eta_seconds / 60))
        lines.append(msg(N_("About {minutes} min left"), minutes=minutes))
    return lines


def progress_text(progress: Progress, language: str) -> str:
    """The progress message in ``language`` now."""
    return render_text({"parts": progress_parts(progress)}, language)


def _actions(progress: Progress) -> list[list[str]]:
    """Pause/Resume and Cancel while it can still change; the CSV report once it is over."""
    if progress.status == "running":
        return [["p", "x"]]
    if progress.status == "scheduled":
        return [["x"]]
    if progress.status == "paused":
        return [["r", "x"]]
    if progress.status in FINAL_STATUSES:
        return [["csv"]]
    return []


def progress_buttons(progress: Progress) -> list[list[dict[str, Any]]]:
    """The outbox payload's buttons: message keys, translated when sent."""
    bid = progress.broadcast_id
    return [
        [{**msg(_BUTTONS[action]), "callback_data": f"bc:{action}:{bid}"} for action in row]
        for row in _actions(progress)
    ]


def progress_keyboard(progress: Progress, language: str) -> dict[str, Any]:
    """The same buttons as Bot API JSON in ``language`` now."""
    t = translations(language)
    bid = progress.broadcast_id
    rows = [
        [
            {"text": t.gettext(_BUTTONS[action]), "callback_data": f"bc:{action}:{bid}"}
            for action in row
        ]
        for row in _actions(progress)
    ]
    return {"inline_keyboard": rows}


def final_report_payload(progress: Progress) -> dict[str, Any]:
    """The outbox payload of the final report: its lines as message keys (the delivery worker
    translates them into the curator's language) and the CSV report button.
    """
    head = msg(N_("The broadcast has finished. Report:"))
    return {
        "parts": [head, "", *progress_parts(progress)],
        "buttons": [
            [{**msg(_BUTTONS[REPORT_ACTION]), "callback_data": f"bc:csv:{progress.broadcast_id}"}]
        ],
    }


def progress_edit_payload(progress: Progress, message_id: int) -> dict[str, Any]:
    """The outbox payload editing the curator's progress message ``message_id``: its lines and
    buttons as message keys (the delivery worker translates them when it sends)."""
    return {
        "edit": {"message_id": message_id},
        "parts": progress_parts(progress),
        "buttons": progress_buttons(progress),
    }
