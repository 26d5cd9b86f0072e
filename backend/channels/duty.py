"""The monthly duty of a college's responsible employee, their submissions, and the September
reminder to introduce new students to the channel.

Seed 003 (../shared/seeds/003_5a067682fd1d275e.txt, section 3, lines ~1283–1326): the ministry's
ZHASTALAP Telegram channel and chat inform college students and teachers; each college names a
responsible employee who publishes useful material and the most important college news there
"at least once a month", covers all teachers and students with the channel and chat, and
introduces them to newly admitted students every year. Here that becomes:

* on the organisation's ``duty_day`` (Asia/Almaty), after ``broadcast.duty_reminder_time``, when
  nothing was submitted that month, the responsible employee is asked for material
  (``enqueue_duty_reminders``);
* the material they send to the bot becomes a ``Submission`` that reaches the curators covering
  the organisation for review, who relay it to a registered channel or reject it (that part is
  ``backend.channels.relay``);
* each September the organisation's head, HR and methodists are reminded to introduce new
  students to the channel and its chat, with the links set on the channel (never hard-coded).

Outbox rows are inserted with ``ON CONFLICT (dedupe_key) DO NOTHING``, so every job may run as
often as it likes. Each public service function owns its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.channels import registration as channels
from backend.db import SessionPool
from backend.delivery.enqueue import OutboxRow, Payload, enqueue, to_user
from backend.i18n import N_, Message, msg
from backend.models import Membership, Organisation, Submission, User
from backend.models.types import utcnow
from backend.settings import Settings

log = logging.getLogger(__name__)

DUTY_KIND = "duty_reminder"
SEPTEMBER_KIND = "september_reminder"
DUTY_JOB_ID = "duty-reminders"
SEPTEMBER_JOB_ID = "september-reminders"
MAX_DUTY_DAY = 28  # every month has it
SETTER_ROLES = ("head", "hr")  # who may set the duty day and the responsible employee
SEPTEMBER_ROLES = ("head", "hr", "methodist")


class DutyAccessError(PermissionError):
    """The user may not do this for that organisation or submission."""


class DutyInputError(ValueError):
    def __init__(self, code: str) -> None:  # day_range | not_member
        super().__init__(code)
        self.code = code


# --- texts (message keys of the locales/ catalogs, translated when sent) ----------------------
def button(label: str, data: str) -> dict[str, Any]:
    """An inline button of an outbox payload; ``label`` is a msgid (``N_``)."""
    return {**msg(label), "callback_data": data}


def duty_payload(organisation: Organisation) -> Payload:
    return {
        **msg(
            N_(
                "📣 {name}: this month's material\n"
                "Useful material and the college's main news go to the channel at least once a "
                "month. Nothing has been sent this month yet.\n"
                "Press “Send material” and send the news to the bot (text, photo, document or a "
                "forwarded channel post): a curator reviews it and posts it to the channel."
            ),
            name=organisation.name,
        ),
        "buttons": [[button(N_("📤 Send material"), f"duty:{organisation.id}")]],
    }


def september_payload(organisation: Organisation, links: dict[str, str]) -> Payload:
    head = msg(
        N_(
            "🎓 {name}: a new academic year\n"
            "Introduce the newly admitted students to the channel and its chat: every "
            "teacher and student should be subscribed."
        ),
        name=organisation.name,
    )
    tail: list[str | Message] = []
    if "channel" in links:
        tail.append(msg(N_("Channel: {link}"), link=links["channel"]))
    if "chat" in links:
        tail.append(msg(N_("Chat: {link}"), link=links["chat"]))
    if not tail:
        tail.append(msg(N_("Please ask your curator for the links of the channel and its chat.")))
    return {"parts": [head, *tail]}


# --- outbox ---------------------------------------------------------------------------------
def local_month(now: dt.datetime, settings: Settings) -> str:
    return now.astimezone(settings.tz).strftime("%Y-%m")


# --- the duty settings ------------------------------------------------------------------------
async def staff_organisations(session: AsyncSession, user_id: int) -> list[Organisation]:
    """The organisations where the user is head or HR (who set the duty)."""
    rows = await session.exec(
        select(Organisation)
        .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
        .where(col(Membership.user_id) == user_id, col(Membership.role).in_(SETTER_ROLES))
        .order_by(col(Organisation.name), col(Organisation.id))
    )
    return list(rows.all())


async def members(session: AsyncSession, organisation_id: int) -> list[tuple[User, str]]:
    rows = await session.exec(
        select(User, Membership.role)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.organisation_id) == organisation_id)
        .order_by(col(User.full_name), col(User.id))
    )
    return [(user, role) for user, role in rows.all()]


async def role_in(session: AsyncSession, user_id: int, organisation_id: int) -> str | None:
    row = await session.exec(
        select(Membership.role).where(
            col(Membership.user_id) == user_id,
            col(Membership.organisation_id) == organisation_id,
        )
    )
    return row.first()


async def set_duty(
    session: AsyncSession,
    organisation_id: int,
    day: int | None,
    responsible_user_id: int | None,
    *,
    actor_id: int | None = None,
) -> Organisation:
    """Set the duty day (1–28) and the responsible employee (a member of the organisation).

    With ``actor_id``, only the organisation's head or HR may (DutyAccessError).
    """
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise DutyAccessError("no such organisation")
    if actor_id is not None and await role_in(session, actor_id, organisation_id) not in (
        SETTER_ROLES
    ):
        raise DutyAccessError("not head or hr of the organisation")
    if day is not None and not 1 <= day <= MAX_DUTY_DAY:
        raise DutyInputError("day_range")
    if responsible_user_id is not None and (
        await role_in(session, responsible_user_id, organisation_id) is None
    ):
        raise DutyInputError("not_member")
    organisation.duty_day = day
    organisation.responsible_user_id = responsible_user_id
    session.add(organisation)
    await session.commit()
    await session.refresh(organisation)
    return organisation


# --- the jobs ---------------------------------------------------------------------------------
async def enqueue_duty_reminders(
    session_pool: SessionPool, settings: Settings, now: dt.datetime
) -> int:
    """Ask each responsible employee for this month's material once, on/after the duty day and
    time (Asia/Almaty), unless the organisation already submitted something this month.
    Returns how many reminders were enqueued.
    """
    local = now.astimezone(settings.tz)
    if local.time() < settings.broadcast.duty_reminder_time:
        return 0
    month = local.strftime("%Y-%m")
    async with session_pool() as session:
        submitted = select(Submission.organisation_id).where(
            col(Submission.month) == month, col(Submission.status) != "rejected"
        )
        rows = await session.exec(
            select(Organisation, User)
            .join(User, col(User.id) == col(Organisation.responsible_user_id))
            .where(
                col(Organisation.duty_day).is_not(None),
                col(Organisation.duty_day) <= local.day,
                col(Organisation.id).not_in(submitted),
                col(User.unreachable_at).is_(None),
            )
            .order_by(col(Organisation.id))
        )
        outbox = [
            to_user(user, DUTY_KIND, f"duty:{organisation.id}:{month}", duty_payload(organisation))
            for organisation, user in rows.all()
        ]
        count = await enqueue(session, outbox)
        await session.commit()
    if count:
        log.info("duty reminders enqueued", extra={"count": count, "month": month})
    return count


async def enqueue_september_reminders(
    session_pool: SessionPool, settings: Settings, now: dt.datetime
) -> int:
    """In September, from ``september_reminder_day`` at the reminder time (Asia/Almaty), remind
    each organisation's head, HR and methodists once a year to introduce new students to the
    channel and its chat. Returns how many reminders were enqueued.
    """
    local = now.astimezone(settings.tz)
    if (
        local.month != 9
        or local.day < settings.broadcast.september_reminder_day
        or local.time() < settings.broadcast.duty_reminder_time
    ):
        return 0
    async with session_pool() as session:
        rows = (
            await session.exec(
                select(Organisation, User)
                .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
                .join(User, col(User.id) == col(Membership.user_id))
                .where(
                    col(Membership.role).in_(SEPTEMBER_ROLES),
                    col(User.unreachable_at).is_(None),
                )
                .order_by(col(Organisation.id), col(User.id))
            )
        ).all()
        payloads: dict[int, Payload] = {}
        outbox: list[OutboxRow] = []
        for organisation, user in rows:
            assert organisation.id is not None
            if organisation.id not in payloads:
                links = await channels.links_for(session, organisation.id)
                payloads[organisation.id] = september_payload(organisation, links)
            key = f"september:{organisation.id}:{user.id}:{local.year}"
            outbox.append(to_user(user, SEPTEMBER_KIND, key, payloads[organisation.id]))
        count = await enqueue(session, outbox)
        await session.commit()
    if count:
        log.info("september reminders enqueued", extra={"count": count})
    return count


def add_duty_jobs(scheduler: Any, session_pool: SessionPool, settings: Settings) -> None:
    """Both reminders on the backend's APScheduler, hourly, with fixed ids (restarts replace
    them); the dedupe keys make a second run in the same hour a no-op.
    """

    async def duty() -> None:
        await enqueue_duty_reminders(session_pool, settings, utcnow())

    async def september() -> None:
        await enqueue_september_reminders(session_pool, settings, utcnow())

    scheduler.add_job(duty, "cron", minute=5, id=DUTY_JOB_ID, replace_existing=True)
    scheduler.add_job(september, "cron", minute=7, id=SEPTEMBER_JOB_ID, replace_existing=True)
