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
  the organisation for review, who relay it to a registered channel or reject it;
* each September the organisation's head, HR and methodists are reminded to introduce new
  students to the channel and its chat, with the links set on the channel (never hard-coded).

Outbox rows are inserted with ``ON CONFLICT (dedupe_key) DO NOTHING``, so every job may run as
often as it likes. Each public service function owns its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool
from backend.models import Membership, Notification, Organisation, Submission, User
from backend.models.types import utcnow
from backend.services import channels
from backend.settings import Settings

log = logging.getLogger(__name__)

DUTY_KIND = "duty_reminder"
SEPTEMBER_KIND = "september_reminder"
REVIEW_KIND = "submission_review"
RELAY_KIND = "submission_relay"
RESULT_KIND = "submission_result"
DUTY_JOB_ID = "duty-reminders"
SEPTEMBER_JOB_ID = "september-reminders"
MAX_DUTY_DAY = 28  # every month has it
SETTER_ROLES = ("head", "hr")  # who may set the duty day and the responsible employee
SEPTEMBER_ROLES = ("head", "hr", "methodist")
Payload = dict[str, Any]


class DutyAccessError(PermissionError):
    """The user may not do this for that organisation or submission."""


class DutyInputError(ValueError):
    def __init__(self, code: str) -> None:  # day_range | not_member
        super().__init__(code)
        self.code = code


class SubmissionNotFoundError(LookupError):
    pass


class SubmissionStateError(ValueError):
    """The submission was already rejected (or relayed, for a reject)."""


class DuplicateSubmissionError(ValueError):
    """This very message was already submitted."""


# --- texts (kk / ru / en) ---------------------------------------------------------------------
def _button(kk: str, ru: str, en: str, data: str) -> dict[str, Any]:
    return {"text": {"kk": kk, "ru": ru, "en": en}, "callback_data": data}


def duty_payload(organisation: Organisation) -> Payload:
    name = organisation.name
    return {
        "text": {
            "kk": (
                f"📣 «{name}»: осы айдың материалы\n"
                "Колледж туралы пайдалы материалдар мен маңызды жаңалықтар арнада айына кемінде "
                "бір рет жариялануы керек. Осы айда әлі ештеңе жіберілмеді.\n"
                "«Материал жіберу» батырмасын басып, жаңалықты (мәтін, фото, құжат немесе "
                "арнадан қайта жіберілген пост) ботқа жіберіңіз — куратор оны қарап, арнаға "
                "жариялайды."
            ),
            "ru": (
                f"📣 «{name}»: материал этого месяца\n"
                "Полезные материалы и важные новости колледжа публикуются в канале не реже "
                "одного раза в месяц. В этом месяце ещё ничего не отправлено.\n"
                "Нажмите «Отправить материал» и пришлите боту новость (текст, фото, документ "
                "или пересланный пост канала) — куратор проверит её и опубликует в канале."
            ),
            "en": (
                f"📣 {name}: this month's material\n"
                "Useful material and the college's main news go to the channel at least once a "
                "month. Nothing has been sent this month yet.\n"
                "Press “Send material” and send the news to the bot (text, photo, document or a "
                "forwarded channel post): a curator reviews it and posts it to the channel."
            ),
        },
        "buttons": [
            [
                _button(
                    "📤 Материал жіберу",
                    "📤 Отправить материал",
                    "📤 Send material",
                    f"duty:{organisation.id}",
                )
            ]
        ],
    }


def september_payload(organisation: Organisation, links: dict[str, str]) -> Payload:
    name = organisation.name
    if links:
        lines_kk = [f"Арна: {links['channel']}"] if "channel" in links else []
        lines_ru = [f"Канал: {links['channel']}"] if "channel" in links else []
        lines_en = [f"Channel: {links['channel']}"] if "channel" in links else []
        if "chat" in links:
            lines_kk.append(f"Чат: {links['chat']}")
            lines_ru.append(f"Чат: {links['chat']}")
            lines_en.append(f"Chat: {links['chat']}")
        kk_tail = "\n".join(lines_kk)
        ru_tail = "\n".join(lines_ru)
        en_tail = "\n".join(lines_en)
    else:
        kk_tail = "Арна мен чаттың сілтемелерін куратордан сұраңыз."
        ru_tail = "Ссылки на канал и чат уточните у куратора."
        en_tail = "Please ask your curator for the links of the channel and its chat."
    return {
        "text": {
            "kk": (
                f"🎓 «{name}»: жаңа оқу жылы\n"
                "Жаңадан қабылданған студенттерді арнамен және чатпен таныстырыңыз, барлық "
                f"педагогтер мен студенттер оларға жазылсын.\n{kk_tail}"
            ),
            "ru": (
                f"🎓 «{name}»: новый учебный год\n"
                "Познакомьте вновь принятых студентов с каналом и чатом: в них должны быть "
                f"все педагоги и студенты.\n{ru_tail}"
            ),
            "en": (
                f"🎓 {name}: a new academic year\n"
                "Introduce the newly admitted students to the channel and its chat: every "
                f"teacher and student should be subscribed.\n{en_tail}"
            ),
        }
    }


def _review_note(organisation: Organisation, sender: User | None, month: str) -> Payload:
    who = (sender.full_name or sender.username or str(sender.telegram_id)) if sender else "—"
    name = organisation.name
    return {
        "text": {
            "kk": f"📨 «{name}» материалы ({month}), жіберген: {who}. Қарап шығыңыз:",
            "ru": f"📨 Материал от «{name}» ({month}), прислал(а): {who}. Проверьте:",
            "en": f"📨 Material from {name} ({month}), sent by {who}. Please review:",
        }
    }


def _copy(submission: Submission) -> Payload:
    variant = {
        "type": "copy",
        "from_chat_id": submission.source_chat_id,
        "message_id": submission.source_message_id,
    }
    return {"kk": variant, "ru": dict(variant)}


def _review_payload(submission: Submission) -> Payload:
    return {
        "message": _copy(submission),
        "buttons": [
            [
                _button(
                    "✅ Арнаға жариялау",
                    "✅ Опубликовать",
                    "✅ Relay",
                    f"sub:r:{submission.id}",
                ),
                _button("✖ Қабылдамау", "✖ Отклонить", "✖ Reject", f"sub:x:{submission.id}"),
            ]
        ],
    }


def _result_payload(organisation: Organisation, relayed: bool) -> Payload:
    name = organisation.name
    if relayed:
        texts = {
            "kk": f"✅ «{name}» материалы арнада жарияланды. Рақмет!",
            "ru": f"✅ Материал «{name}» опубликован в канале. Спасибо!",
            "en": f"✅ The material of {name} was posted to the channel. Thank you!",
        }
    else:
        texts = {
            "kk": (
                f"✖ Куратор «{name}» материалын қабылдамады. Басқа материал жіберу үшін "
                "еске салудағы «Материал жіберу» батырмасын қайта басыңыз."
            ),
            "ru": (
                f"✖ Куратор отклонил материал «{name}». Чтобы прислать другой, снова нажмите "
                "«Отправить материал» в напоминании."
            ),
            "en": (
                f"✖ The curator rejected the material of {name}. To send another one, press "
                "“Send material” in the reminder again."
            ),
        }
    return {"text": texts}


# --- outbox -----------------------------------------------------------------------------------
async def _enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping dedupe keys already there; the caller commits."""
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            "user_id": None,
            "broadcast_id": None,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            **row,
        }
        for row in rows
    ]
    dialect = (await session.connection()).dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__  # type: ignore[attr-defined]
    result = await session.exec(
        builder(table).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return max(result.rowcount, 0)


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


async def _role_in(session: AsyncSession, user_id: int, organisation_id: int) -> str | None:
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
    if actor_id is not None and await _role_in(session, actor_id, organisation_id) not in (
        SETTER_ROLES
    ):
        raise DutyAccessError("not head or hr of the organisation")
    if day is not None and not 1 <= day <= MAX_DUTY_DAY:
        raise DutyInputError("day_range")
    if responsible_user_id is not None and (
        await _role_in(session, responsible_user_id, organisation_id) is None
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
            {
                "user_id": user.id,
                "chat_id": user.telegram_id,
                "kind": DUTY_KIND,
                "dedupe_key": f"duty:{organisation.id}:{month}",
                "payload": duty_payload(organisation),
            }
            for organisation, user in rows.all()
        ]
        count = await _enqueue(session, outbox)
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
        outbox = []
        for organisation, user in rows:
            assert organisation.id is not None
            if organisation.id not in payloads:
                links = await channels.links_for(session, organisation.id)
                payloads[organisation.id] = september_payload(organisation, links)
            outbox.append(
                {
                    "user_id": user.id,
                    "chat_id": user.telegram_id,
                    "kind": SEPTEMBER_KIND,
                    "dedupe_key": f"september:{organisation.id}:{user.id}:{local.year}",
                    "payload": payloads[organisation.id],
                }
            )
        count = await _enqueue(session, outbox)
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


# --- submissions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Review:
    submission: Submission
    organisation: Organisation


async def may_submit(session: AsyncSession, user_id: int, organisation_id: int) -> Organisation:
    """The organisation, if the user is its responsible employee or on its staff."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise DutyAccessError("no such organisation")
    if organisation.responsible_user_id == user_id:
        return organisation
    if await _role_in(session, user_id, organisation_id) in SEPTEMBER_ROLES:
        return organisation
    raise DutyAccessError("not responsible for the organisation")


async def submit(
    session: AsyncSession,
    *,
    organisation_id: int,
    user_id: int,
    source_chat_id: int,
    source_message_id: int,
    now: dt.datetime,
    settings: Settings,
) -> tuple[Submission, int]:
    """Store the message as this month's material and send it to the covering curators for
    review. Returns the submission and how many curators it reached.
    """
    organisation = await may_submit(session, user_id, organisation_id)
    sender = await session.get(User, user_id)
    month = local_month(now, settings)
    submission = Submission(
        organisation_id=organisation_id,
        user_id=user_id,
        month=month,
        source_chat_id=source_chat_id,
        source_message_id=source_message_id,
        created_at=now,
    )
    session.add(submission)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise DuplicateSubmissionError(source_message_id) from error
    curators = await channels.curators_covering(session, organisation_id)
    outbox: list[dict[str, Any]] = []
    for curator in curators:
        base = {"user_id": curator.id, "chat_id": curator.telegram_id}
        outbox.append(
            {
                **base,
                "kind": REVIEW_KIND,
                "dedupe_key": f"subnote:{submission.id}:{curator.id}",
                "payload": _review_note(organisation, sender, month),
            }
        )
        outbox.append(
            {
                **base,
                "kind": REVIEW_KIND,
                "dedupe_key": f"subreview:{submission.id}:{curator.id}",
                "payload": _review_payload(submission),
            }
        )
    await _enqueue(session, outbox)
    await session.commit()
    await session.refresh(submission)
    if not curators:
        log.warning("no curator covers the organisation", extra={"organisation": organisation_id})
    return submission, len(curators)


async def review(session: AsyncSession, submission_id: int, actor_id: int) -> Review:
    """The submission, if ``actor_id`` is a curator (or admin) whose scope covers it."""
    submission = await session.get(Submission, submission_id)
    if submission is None:
        raise SubmissionNotFoundError(submission_id)
    organisation = await session.get(Organisation, submission.organisation_id)
    scope = await channels.reach_of(session, actor_id)
    if organisation is None or scope is None or not channels.covers(scope, organisation):
        raise DutyAccessError("submission outside the scope")
    return Review(submission, organisation)


async def relay(
    session: AsyncSession, submission_id: int, channel_id: int, actor_id: int, now: dt.datetime
) -> bool:
    """Copy the material to a channel the curator may post to (once per channel); False when it
    had already been relayed there.
    """
    found = await review(session, submission_id, actor_id)
    submission = found.submission
    if submission.status == "rejected":
        raise SubmissionStateError("rejected")
    try:
        channel = await channels.get_channel(session, channel_id, actor_id)
    except channels.ChannelAccessError as error:
        raise DutyAccessError("channel outside the scope") from error
    if not channel.active:
        raise DutyAccessError("channel inactive")
    rows: list[dict[str, Any]] = [
        {
            "chat_id": channel.chat_id,
            "kind": RELAY_KIND,
            "dedupe_key": f"relay:{submission.id}:{channel.id}",
            "payload": {"message": _copy(submission)},
        }
    ]
    sender = await session.get(User, submission.user_id) if submission.user_id else None
    if sender is not None:
        rows.append(
            {
                "user_id": sender.id,
                "chat_id": sender.telegram_id,
                "kind": RESULT_KIND,
                "dedupe_key": f"subok:{submission.id}",
                "payload": _result_payload(found.organisation, relayed=True),
            }
        )
    inserted = await _enqueue(session, rows)
    submission.status, submission.reviewed_by, submission.reviewed_at = "relayed", actor_id, now
    session.add(submission)
    await session.commit()
    return inserted > 0


async def reject(
    session: AsyncSession, submission_id: int, actor_id: int, now: dt.datetime
) -> None:
    """Reject pending material and tell the employee who sent it."""
    found = await review(session, submission_id, actor_id)
    submission = found.submission
    if submission.status != "pending":
        raise SubmissionStateError(submission.status)
    sender = await session.get(User, submission.user_id) if submission.user_id else None
    if sender is not None:
        await _enqueue(
            session,
            [
                {
                    "user_id": sender.id,
                    "chat_id": sender.telegram_id,
                    "kind": RESULT_KIND,
                    "dedupe_key": f"subrej:{submission.id}",
                    "payload": _result_payload(found.organisation, relayed=False),
                }
            ],
        )
    submission.status, submission.reviewed_by, submission.reviewed_at = "rejected", actor_id, now
    session.add(submission)
    await session.commit()
