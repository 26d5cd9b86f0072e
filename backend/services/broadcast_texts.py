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

from backend.services.broadcasts import Progress

_STATUS: dict[str, dict[str, str]] = {
    "draft": {"kk": "Жоба", "ru": "Черновик", "en": "Draft"},
    "scheduled": {"kk": "Жоспарланған", "ru": "Запланирована", "en": "Scheduled"},
    "running": {"kk": "Жіберілуде", "ru": "Идёт отправка", "en": "Sending"},
    "paused": {"kk": "Кідіртілді", "ru": "Приостановлена", "en": "Paused"},
    "done": {"kk": "Аяқталды", "ru": "Завершена", "en": "Finished"},
    "cancelled": {"kk": "Тоқтатылды", "ru": "Отменена", "en": "Cancelled"},
}

_LINES: dict[str, dict[str, str]] = {
    "title": {"kk": "Тарату №{id}", "ru": "Рассылка №{id}", "en": "Broadcast #{id}"},
    "status": {"kk": "Күйі: {status}", "ru": "Статус: {status}", "en": "Status: {status}"},
    "total": {"kk": "Алушылар: {n}", "ru": "Получателей: {n}", "en": "Recipients: {n}"},
    "sent": {"kk": "Жіберілді: {n}", "ru": "Отправлено: {n}", "en": "Sent: {n}"},
    "failed": {"kk": "Қате: {n}", "ru": "Ошибки: {n}", "en": "Failed: {n}"},
    "blocked": {
        "kk": "Ботты бұғаттағандар: {n}",
        "ru": "Заблокировали бота: {n}",
        "en": "Blocked the bot: {n}",
    },
    "cancelled": {"kk": "Тоқтатылғандар: {n}", "ru": "Отменено: {n}", "en": "Cancelled: {n}"},
    "remaining": {"kk": "Қалды: {n}", "ru": "Осталось: {n}", "en": "Remaining: {n}"},
    "eta": {
        "kk": "Шамамен {minutes} мин қалды",
        "ru": "Осталось примерно {minutes} мин",
        "en": "About {minutes} min left",
    },
    "scheduled_at": {
        "kk": "Жіберу уақыты: {when} (Алматы уақыты)",
        "ru": "Время отправки: {when} (время Алматы)",
        "en": "Sending at: {when} (Almaty time)",
    },
}

_BUTTONS: dict[str, dict[str, str]] = {
    "p": {"kk": "⏸ Кідірту", "ru": "⏸ Пауза", "en": "⏸ Pause"},
    "r": {"kk": "▶️ Жалғастыру", "ru": "▶️ Продолжить", "en": "▶️ Resume"},
    "x": {"kk": "✖️ Тоқтату", "ru": "✖️ Отменить", "en": "✖️ Cancel"},
    "csv": {"kk": "📄 Есеп (CSV)", "ru": "📄 Отчёт (CSV)", "en": "📄 Report (CSV)"},
}

FINAL_STATUSES = frozenset({"done", "cancelled"})
DISPLAY_ZONE = ZoneInfo("Asia/Almaty")  # curators read times in Almaty time


def _t(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    texts = table[key]
    return texts.get(language) or texts["ru"]


def progress_text(progress: Progress, language: str) -> str:
    """Counts, and an ETA while sending; plain text (no markup)."""

    def line(key: str, **values: object) -> str:
        return _t(_LINES, key, language).format(**values)

    known = progress.status in _STATUS
    status = _t(_STATUS, progress.status, language) if known else progress.status
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
        "text": _t(_BUTTONS, action, language),
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


_REPORT_HEAD: dict[str, str] = {
    "kk": "Тарату аяқталды. Есеп:",
    "ru": "Рассылка завершена. Отчёт:",
    "en": "The broadcast has finished. Report:",
}


def final_report_text(progress: Progress, language: str) -> str:
    """What the curator is sent once a broadcast is over."""
    head = _REPORT_HEAD.get(language) or _REPORT_HEAD["ru"]
    return head + "\n\n" + progress_text(progress, language)
