"""Monthly material: a responsible employee's submission, its review by the covering curators,
and its relay to a registered channel (or rejection).

The material sent to the bot becomes a ``Submission`` of the month (Asia/Almaty); the curators
whose scope covers the organisation get a note and a copy with "Relay" / "Reject" buttons. The
message itself is never stored: the outbox copies it from the employee's chat. Who is on duty and
when they are reminded lives in ``backend.channels.duty``.

Each public function owns its transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.channels import registration as channels
from backend.channels.duty import (
    SEPTEMBER_ROLES,
    DutyAccessError,
    button,
    local_month,
    role_in,
)
from backend.delivery.enqueue import OutboxRow, Payload, enqueue, to_user
from backend.i18n import N_, msg
from backend.models import Organisation, Submission, User
from backend.settings import Settings

log = logging.getLogger(__name__)

REVIEW_KIND = "submission_review"
RELAY_KIND = "submission_relay"
RESULT_KIND = "submission_result"
SUBMITTER_ROLES = SEPTEMBER_ROLES  # staff who may send material besides the responsible one


class SubmissionNotFoundError(LookupError):
    pass


class SubmissionStateError(ValueError):
    """The submission was already rejected (or relayed, for a reject)."""


class DuplicateSubmissionError(ValueError):
    """This very message was already submitted."""


@dataclass(frozen=True)
class Review:
    submission: Submission
    organisation: Organisation


# --- texts (message keys, translated when sent) ----------------------------------------------
def _review_note(organisation: Organisation, sender: User | None, month: str) -> Payload:
    who = (sender.full_name or sender.username or str(sender.telegram_id)) if sender else "—"
    return msg(
        N_("📨 Material from {name} ({month}), sent by {who}. Please review:"),
        name=organisation.name,
        month=month,
        who=who,
    )


def _copy(submission: Submission) -> Payload:
    variant = {
        "type": "copy",
        "from_chat_id": submission.source_chat_id,
        "message_id": submission.source_message_id,
    }
    return {"kk": variant, "ru": dict(variant)}


def review_payload(submission: Submission) -> Payload:
    """The copy of the material with the curator's "Relay" / "Reject" buttons."""
    return {
        "message": _copy(submission),
        "buttons": [
            [
                button(N_("✅ Relay"), f"sub:r:{submission.id}"),
                button(N_("✖ Reject"), f"sub:x:{submission.id}"),
            ]
        ],
    }


def _result_payload(organisation: Organisation, relayed: bool) -> Payload:
    if relayed:
        return msg(
            N_("✅ The material of {name} was posted to the channel. Thank you!"),
            name=organisation.name,
        )
    return msg(
        N_(
            "✖ The curator rejected the material of {name}. To send another one, press "
            "“Send material” in the reminder again."
        ),
        name=organisation.name,
    )


# --- submitting -------------------------------------------------------------------------------
async def may_submit(session: AsyncSession, user_id: int, organisation_id: int) -> Organisation:
    """The organisation, if the user is its responsible employee or on its staff."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise DutyAccessError("no such organisation")
    if organisation.responsible_user_id == user_id:
        return organisation
    if await role_in(session, user_id, organisation_id) in SUBMITTER_ROLES:
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
    outbox: list[OutboxRow] = []
    note = _review_note(organisation, sender, month)
    for curator in curators:
        # Two messages per curator: who sent what, then the material itself with the buttons.
        outbox += [
            to_user(curator, REVIEW_KIND, f"subnote:{submission.id}:{curator.id}", note),
            to_user(
                curator,
                REVIEW_KIND,
                f"subreview:{submission.id}:{curator.id}",
                review_payload(submission),
            ),
        ]
    await enqueue(session, outbox)
    await session.commit()
    await session.refresh(submission)
    if not curators:
        log.warning("no curator covers the organisation", extra={"organisation": organisation_id})
    return submission, len(curators)


# --- reviewing --------------------------------------------------------------------------------
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


async def _result_rows(session: AsyncSession, found: Review, *, relayed: bool) -> list[OutboxRow]:
    """The message telling the employee who sent the material how the review ended (none when
    the sender's account is gone).
    """
    submission = found.submission
    sender = await session.get(User, submission.user_id) if submission.user_id else None
    if sender is None:
        return []
    key = f"{'subok' if relayed else 'subrej'}:{submission.id}"
    return [to_user(sender, RESULT_KIND, key, _result_payload(found.organisation, relayed))]


async def _close(
    session: AsyncSession, submission: Submission, status: str, actor_id: int, now: dt.datetime
) -> None:
    submission.status, submission.reviewed_by, submission.reviewed_at = status, actor_id, now
    session.add(submission)
    await session.commit()


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
    to_channel: OutboxRow = {
        "chat_id": channel.chat_id,
        "kind": RELAY_KIND,
        "dedupe_key": f"relay:{submission.id}:{channel.id}",
        "payload": {"message": _copy(submission)},
    }
    thanks = await _result_rows(session, found, relayed=True)
    inserted = await enqueue(session, [to_channel, *thanks])
    await _close(session, submission, "relayed", actor_id, now)
    return inserted > 0


async def reject(
    session: AsyncSession, submission_id: int, actor_id: int, now: dt.datetime
) -> None:
    """Reject pending material and tell the employee who sent it."""
    found = await review(session, submission_id, actor_id)
    submission = found.submission
    if submission.status != "pending":
        raise SubmissionStateError(submission.status)
    await enqueue(session, await _result_rows(session, found, relayed=False))
    await _close(session, submission, "rejected", actor_id, now)
