"""Invitation links: make, list and revoke them, and join an organisation by opening one.

Tokens are 192 random bits (``secrets``); only their SHA-256 is stored, so a token is shown
once, when it is made. A deep link is ``https://t.me/<bot>?start=<token>``. Each public
function takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Membership, Organisation, UserRole
from backend.models.staff import Invitation, RosterEntry
from backend.models.types import utcnow
from backend.staff.organisations import STAFF_ROLES, STUDENT_ROLE, TEACHER_ROLE, get_organisation

INVITATION_ERRORS = ("unknown", "expired", "revoked", "used_up")
TOKEN_BYTES = 24  # 32 URL-safe characters: within Telegram's 64-character start parameter


class InvitationError(Exception):
    """An invitation cannot be redeemed; ``code`` is one of ``INVITATION_ERRORS``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CreatedInvitation:
    token: str  # shown once; only its hash is stored
    link_path: str  # "start=<token>", appended to https://t.me/<bot>?
    invitation: Invitation


@dataclass(frozen=True)
class Joined:
    organisation: Organisation
    role: str  # the user's membership role in the organisation after redeeming
    roster_entry: RosterEntry | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(bot_username: str | None, token: str) -> str:
    """The deep link people open; without a configured bot username, just ``?start=<token>``."""
    if not bot_username:
        return f"?start={token}"
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


async def create_invitation(
    *,
    session: AsyncSession,
    organisation_id: int,
    role: str,
    ttl_days: int,
    created_by: int | None = None,
    roster_entry_id: int | None = None,
    max_uses: int | None = None,
    now: dt.datetime | None = None,
) -> CreatedInvitation:
    """A new invitation link valid for ``ttl_days``; ``role`` is a staff role, "teacher" or
    "student".

    Raises ``ValueError`` for an unknown role or a max_uses below 1, and
    ``OrganisationNotFoundError``.
    """
    if role not in (*STAFF_ROLES, TEACHER_ROLE, STUDENT_ROLE):
        raise ValueError(f"unknown role {role!r}")
    if max_uses is not None and max_uses < 1:
        raise ValueError("max_uses must be at least 1")
    await get_organisation(session=session, organisation_id=organisation_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        token_hash=hash_token(token),
        organisation_id=organisation_id,
        role=role,
        roster_entry_id=roster_entry_id,
        max_uses=max_uses,
        created_by=created_by,
        expires_at=(now or utcnow()) + dt.timedelta(days=ttl_days),
    )
    session.add(invitation)
    await session.commit()
    await session.refresh(invitation)
    return CreatedInvitation(token=token, link_path=f"start={token}", invitation=invitation)


async def revoke_invitation(
    *, session: AsyncSession, invitation_id: int, organisation_id: int | None = None
) -> bool:
    """False when there is no such invitation (in that organisation, if given)."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or (
        organisation_id is not None and invitation.organisation_id != organisation_id
    ):
        return False
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        await session.commit()
    return True


async def list_invitations(*, session: AsyncSession, organisation_id: int) -> list[Invitation]:
    """Newest first, revoked and expired ones included."""
    query = (
        select(Invitation)
        .where(Invitation.organisation_id == organisation_id)
        .order_by(col(Invitation.id).desc())
    )
    return list((await session.exec(query)).all())


async def _grant_role(session: AsyncSession, user_id: int, role: str) -> None:
    if await session.get(UserRole, (user_id, role)) is None:
        session.add(UserRole(user_id=user_id, role=role))


async def _use(session: AsyncSession, invitation: Invitation) -> None:
    """Count one use; a conditional UPDATE so two people racing for the last use can't both win."""
    statement = update(Invitation).where(col(Invitation.id) == invitation.id)
    if invitation.max_uses is not None:
        statement = statement.where(col(Invitation.uses) < invitation.max_uses)
    connection = await session.connection()
    result = await connection.execute(statement.values(uses=col(Invitation.uses) + 1))
    if result.rowcount != 1:
        await session.rollback()
        raise InvitationError("used_up")


async def _usable_invitation(session: AsyncSession, token: str, now: dt.datetime) -> Invitation:
    query = select(Invitation).where(Invitation.token_hash == hash_token(token.strip()))
    invitation = (await session.exec(query)).first()
    if invitation is None or invitation.id is None:
        raise InvitationError("unknown")
    if invitation.revoked_at is not None:
        raise InvitationError("revoked")
    if invitation.expires_at is not None and invitation.expires_at <= now:
        raise InvitationError("expired")
    return invitation


async def _join(
    session: AsyncSession,
    invitation: Invitation,
    membership: Membership | None,
    entry: RosterEntry | None,
    user_id: int,
) -> Membership:
    """Make (or change) the membership the invitation stands for; the caller commits."""
    if entry is not None:
        entry.user_id = user_id
        entry.updated_at = utcnow()
        await _grant_role(session, user_id, TEACHER_ROLE)
        if membership is not None:
            return membership  # a staff member linked to their own roster entry stays staff
        role = TEACHER_ROLE
    else:
        role = invitation.role
        await _grant_role(session, user_id, "staff" if role in STAFF_ROLES else role)
        if membership is not None:
            membership.role = role  # the latest link decides (staff are never demoted: above)
            return membership
    membership = Membership(organisation_id=invitation.organisation_id, user_id=user_id, role=role)
    session.add(membership)
    return membership


async def redeem_invitation(
    *, session: AsyncSession, token: str, user_id: int, now: dt.datetime, _retry: bool = True
) -> Joined:
    """Join the invitation's organisation.

    Staff roles become a Membership with that role and the user role "staff"; a roster-entry
    invitation links ``RosterEntry.user_id`` and makes the user a "teacher" member (a staff
    member keeps their staff role). Redeeming again is harmless and uses nothing up.
    Raises ``InvitationError`` ("unknown", "expired", "revoked", "used_up").
    """
    invitation = await _usable_invitation(session, token, now)
    organisation = await get_organisation(
        session=session, organisation_id=invitation.organisation_id
    )
    membership = (
        await session.exec(
            select(Membership).where(
                Membership.organisation_id == invitation.organisation_id,
                Membership.user_id == user_id,
            )
        )
    ).first()
    entry = None
    if invitation.roster_entry_id is not None:
        entry = await session.get(RosterEntry, invitation.roster_entry_id)
        if entry is None:
            raise InvitationError("unknown")  # the roster entry was deleted
        if entry.user_id not in (None, user_id):
            raise InvitationError("used_up")  # another account already claimed this teacher
    if membership is not None and (
        entry.user_id == user_id
        if entry is not None
        # already in this role, or staff opening the students' or teachers' link: nothing to do
        else membership.role == invitation.role
        or (membership.role in STAFF_ROLES and invitation.role not in STAFF_ROLES)
    ):
        return Joined(organisation=organisation, role=membership.role, roster_entry=entry)
    await _use(session, invitation)
    membership = await _join(session, invitation, membership, entry, user_id)
    role = membership.role
    try:
        await session.commit()
    except IntegrityError:
        # The same person opened the link twice at once and the other request joined first:
        # this one's use is rolled back and the second look finds them a member already.
        await session.rollback()
        if _retry:
            return await redeem_invitation(
                session=session, token=token, user_id=user_id, now=now, _retry=False
            )
        raise
    return Joined(organisation=organisation, role=role, roster_entry=entry)
