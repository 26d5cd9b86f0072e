"""Yearly duties of UMO secretaries (Order 400) as outbox reminders, through the course sweep.

On a duty's reminder day (Asia/Almaty) every user with the role ``umo_secretary`` gets one
message, sent after the quiet hours like every reminder; if the sweep did not run that day it
catches up for ``CATCH_UP_DAYS``. The dedupe key ``umo:<duty>:<day>:<user>`` makes each reminder
go out once, whatever restarts happen.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from sqlalchemy import Integer, String, Text, cast, exists, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.courses.validation import format_date
from backend.delivery.enqueue import PERSONAL_COLUMNS, enqueue_from_select
from backend.i18n import N_, msg
from backend.models import Notification, ReminderPreference, User, UserRole
from backend.models.types import UTCDateTime
from backend.umo.directory import SECRETARY_ROLE, Duty, load_directory

UMO_KIND: Final = "umo_duty"
CATCH_UP_DAYS: Final = 7


def due_duties(day: dt.date) -> list[tuple[Duty, dt.date]]:
    """The (duty, reminder day) pairs whose reminder day is ``day`` or up to a week before."""
    due = []
    for duty in load_directory().duties:
        for year in (day.year - 1, day.year):
            for when in duty.reminder_days(year):
                if 0 <= (day - when).days < CATCH_UP_DAYS:
                    due.append((duty, when))
    return due


def duty_payload(duty: Duty, when: dt.date) -> dict[str, Any]:
    """The reminder's lines as message keys; the duty's own words are data (kk, ru)."""
    act = load_directory().act
    parts: list[Any] = [
        # the duty's own wording is data per language (umo.yaml), so a parameter
        msg(N_("📌 Reminder for the UMO secretary\n{duty}"), duty={"kk": duty.kk, "ru": duty.ru}),
    ]
    if duty.deadline is not None:
        deadline = format_date(duty.deadline.in_year(when.year))
        parts.append(msg(N_("Deadline: {date}."), date=deadline))
    if duty.assumption is not None:
        parts.append(msg(N_("(The order gives no date: this is an assumption.)")))
    parts.append(
        msg(
            N_("Source: order No. {number}, {file}, line {line}."),
            number=act.number,
            file=act.file,
            line=duty.lines[0],
        )
    )
    return {"parts": parts, "duty": duty.id}


async def enqueue_umo_duties(
    connection: AsyncConnection, *, day: dt.date, send_at: dt.datetime, now: dt.datetime
) -> int:
    user = User.__table__.c  # type: ignore[attr-defined]
    role = UserRole.__table__.c  # type: ignore[attr-defined]
    preference = ReminderPreference.__table__.c  # type: ignore[attr-defined]
    outbox = Notification.__table__.c  # type: ignore[attr-defined]
    inserted = 0
    for duty, when in due_duties(day):
        payload = json.dumps(duty_payload(duty, when), ensure_ascii=False)
        value = (
            cast(literal(payload, Text()), JSONB)
            if connection.dialect.name == "postgresql"
            else literal(payload, Text())
        )
        key = literal(f"umo:{duty.id}:{when.isoformat()}:", String()) + cast(user.id, String())
        query = (
            select(
                user.id,
                user.telegram_id,
                literal(UMO_KIND, String()),
                key,
                value,
                literal("pending", String()),
                literal(0, Integer()),
                literal(send_at, UTCDateTime()),
                literal(now, UTCDateTime()),
            )
            .select_from(User.__table__)  # type: ignore[attr-defined]
            .where(
                user.unreachable_at.is_(None),
                exists().where(role.user_id == user.id, role.role == SECRETARY_ROLE),
                ~exists().where(preference.user_id == user.id, preference.stopped.is_(True)),
                ~exists().where(outbox.dedupe_key == key),
            )
        )
        inserted += await enqueue_from_select(connection, query, columns=PERSONAL_COLUMNS)
    return inserted
