"""The curator's self-updating progress message: text and inline keyboard per language.

Shared by the bot (the first progress message) and the backend ticker (which edits it), so both
render the same thing. Texts live here per language rather than in gettext because the backend
sends them without an aiogram i18n context. Callback data follows the bot's ``bc`` factory:
``bc:<action>:<broadcast id>`` with action p (pause), r (resume), x (cancel), csv (report).
"""

from __future__ import annotations

import math
from typing import Any
from zoneinfo import ZoneInfo

from backend.broadcasts.service import Progress

Texts = dict[str, str]  # language → text; Russian stands in for a language without one


def _langs(kk: str, ru: str, en: str) -> Texts:
    return {"kk": kk, "ru": ru, "en": en}


_STATUS: dict[str, Texts] = {
    "draft": _langs("Жоба", "Черновик", "Draft"),
    "scheduled": _langs("Жоспарланған", "Запланирована", "Scheduled"),
    "running": _langs("Жіберілуде", "Идёт отправка", "Sending"),
    "paused": _langs("Кідіртілді", "Приостановлена", "Paused"),
    "done": _langs("Аяқталды", "Завершена", "Finished"),
    "cancelled": _langs("Тоқтатылды", "Отменена", "Cancelled"),
}

_LINES: dict[str, Texts] = {
    "title": _langs("Тарату №{id}", "Рассылка №{id}", "Broadcast #{id}"),
    "status": _langs("Күйі: {status}", "Статус: {status}", "Status: {status}"),
    "total": _langs("Алушылар: {n}", "Получателей: {n}", "Recipients: {n}"),
    "sent": _langs("Жіберілді: {n}", "Отправлено: {n}", "Sent: {n}"),
    "failed": _langs("Қате: {n}", "Ошибки: {n}", "Failed: {n}"),
    "blocked": _langs(
        "Ботты бұғаттағандар: {n}", "Заблокировали бота: {n}", "Blocked the bot: {n}"
    ),
    "cancelled": _langs("Тоқтатылғандар: {n}", "Отменено: {n}", "Cancelled: {n}"),
    "remaining": _langs("Қалды: {n}", "Осталось: {n}", "Remaining: {n}"),
    "eta": _langs(
        "Шамамен {minutes} мин қалды",
        "Осталось примерно {minutes} мин",
        "About {minutes} min left",
    ),
    "scheduled_at": _langs(
        "Жіберу уақыты: {when} (Алматы уақыты)",
        "Время отправки: {when} (время Алматы)",
        "Sending at: {when} (Almaty time)",
    ),
}

_BUTTONS: dict[str, Texts] = {
    "p": _langs("⏸ Кідірту", "⏸ Пауза", "⏸ Pause"),
    "r": _langs("▶️ Жалғастыру", "▶️ Продолжить", "▶️ Resume"),
    "x": _langs("✖️ Тоқтату", "✖️ Отменить", "✖️ Cancel"),
    "csv": _langs("📄 Есеп (CSV)", "📄 Отчёт (CSV)", "📄 Report (CSV)"),
}

FINAL_STATUSES = frozenset({"done", "cancelled"})
DISPLAY_ZONE = ZoneInfo("Asia/Almaty")  # curators read times in Almaty time


def _t(texts: Texts, language: str) -> str:
    return texts.get(language) or texts["ru"]


def status_label(status: str, language: str) -> str:
    """A broadcast's status as people read it ("Идёт отправка" for "running")."""
    return _t(_STATUS[status], language) if status in _STATUS else status


def progress_text(progress: Progress, language: str) -> str:
    """Counts, and an ETA while sending; plain text (no markup)."""

    def line(key: str, **values: object) -> str:
        return _t(_LINES[key], language).format(**values)

    known = progress.status in _STATUS
    status = _t(_STATUS[progress.status], language) if known else progress.status
    lines = [line("title", id=progress.broadcast_id), line("status", status=status)]
    if progress.status == "scheduled" and progress.scheduled_at is not None:
        when = progress.scheduled_at.astimezone(DISPLAY_ZONE)
        lines.append(line("scheduled_at", when=when.strftime("%d.%m.%Y %H:%M")))
    lines.append(line("total", n=progress.total))
    lines.append(line("sent", n=progress.sent))
    lines.append(line("failed", n=progress.failed))
    lines.append(line("blocked", n=progress.blocked))
    if progress.cancelled:
        lines.append(line("cancelled", n=progress.cancelled))
    if progress.status not in FINAL_STATUSES:
        lines.append(line("remaining", n=progress.remaining))
    if progress.status == "running" and progress.eta_seconds is not None and progress.remaining:
        lines.append(line("eta", minutes=max(1, math.ceil(progress.eta_seconds / 60))))
    return "\n".join(lines)


def _button(action: str, broadcast_id: int, language: str) -> dict[str, Any]:
    return {
        "text": _t(_BUTTONS[action], language),
        "callback_data": f"bc:{action}:{broadcast_id}",
    }


def progress_keyboard(progress: Progress, language: str) -> dict[str, Any]:
    """Pause/Resume and Cancel while it can still change; the CSV report once it is over."""
    bid = progress.broadcast_id
    if progress.status in ("running", "scheduled"):
        row = [_button("p", bid, language)] if progress.status == "running" else []
        row.append(_button("x", bid, language))
        rows = [row]
    elif progress.status == "paused":
        rows = [[_button("r", bid, language), _button("x", bid, language)]]
    elif progress.status in FINAL_STATUSES:
        rows = [[_button("csv", bid, language)]]
    else:
        rows = []
    return {"inline_keyboard": rows}


_REPORT_HEAD: Texts = _langs(
    "Тарату аяқталды. Есеп:", "Рассылка завершена. Отчёт:", "The broadcast has finished. Report:"
)


def final_report_text(progress: Progress, language: str) -> str:
    """What the curator is sent once a broadcast is over."""
    head = _t(_REPORT_HEAD, language)
    return head + "\n\n" + progress_text(progress, language)


def final_report_payload(progress: Progress) -> dict[str, Any]:
    """The outbox payload of the final report: its text in every language (the delivery worker
    picks the curator's) and the CSV report button.
    """
    return {
        "text": {lang: final_report_text(progress, lang) for lang in _REPORT_HEAD},
        "buttons": [
            [{"text": dict(_BUTTONS["csv"]), "callback_data": f"bc:csv:{progress.broadcast_id}"}]
        ],
    }


def progress_edit_payload(progress: Progress, message_id: int) -> dict[str, Any]:
    """The outbox payload editing the curator's progress message ``message_id``: its text and
    buttons in every language (the delivery worker picks the curator's when it sends)."""
    languages = tuple(_REPORT_HEAD)
    keyboards = {lang: progress_keyboard(progress, lang)["inline_keyboard"] for lang in languages}
    first = keyboards[languages[0]]
    buttons = [
        [
            {
                "text": {lang: keyboards[lang][r][b]["text"] for lang in languages},
                "callback_data": button["callback_data"],
            }
            for b, button in enumerate(row)
        ]
        for r, row in enumerate(first)
    ]
    return {
        "edit": {"message_id": message_id},
        "text": {lang: progress_text(progress, lang) for lang in languages},
        "buttons": buttons,
    }
