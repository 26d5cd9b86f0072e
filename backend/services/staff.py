"""An organisation's staff: organisations, invitation links, the roster and the weekly digest.

Each public function takes ``session`` and owns its transaction (commits what it changes).
Roster file parsing lives in ``backend.staff.roster``, digest texts and files in
``backend.staff.digest``; this module ties them to the database.

Invitation tokens are 192 random bits (``secrets``); only their SHA-256 is stored, so a token
is shown once, when it is made. A deep link is ``https://t.me/<bot>?start=<token>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses.cycle import due_date
from backend.courses.quiet import next_send_moment
from backend.db import SessionPool
from backend.exports import to_csv, to_xlsx
from backend.models import CourseRecord, Membership, Notification, Organisation, User, UserRole
from backend.models.staff import Invitation, RosterEntry
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import Settings, StaffSettings
from backend.staff.digest import (
    Digest,
    DigestRow,
    digest_captions,
    digest_filename,
    digest_table,
    digest_texts,
)
from backend.staff.roster import ImportReport, RosterFileError, RowError, parse_roster

STAFF_ROLES = ("head", "hr", "methodist")
TEACHER_ROLE = "teacher"
INVITATION_ERRORS = ("unknown", "expired", "revoked", "used_up")
DUE_SOON_DAYS = 90
DIGEST_JOB_ID = "staff_weekly_digest"
DIGEST_KIND = "staff_digest"
DIGEST_FILE_KIND = "staff_digest_file"

__all__ = [
    "DIGEST_FILE_KIND",
    "DIGEST_JOB_ID",
    "DIGEST_KIND",
    "DUE_SOON_DAYS",
    "INVITATION_ERRORS",
    "STAFF_ROLES",
    "TEACHER_ROLE",
    "CreatedInvitation",
    "Digest",
    "DigestRow",
    "ImportReport",
    "InvitationError",
    "Joined",
    "NotStaffError",
    "OrganisationNotFoundError",
    "RosterFileError",
    "RowError",
    "add_digest_job",
    "create_invitation",
    "create_organisation",
    "digest",
    "digest_files",
    "enqueue_weekly_digests",
    "get_organisation",
    "hash_token",
    "import_roster",
    "invitation_link",
    "list_invitations",
    "list_organisations",
    "memberships_of",
    "redeem_invitation",
    "revoke_invitation",
    "roster_entries",
    "roster_invitation",
    "staff_organisation",
]

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 32 URL-safe characters: within Telegram's 64-character start parameter


class InvitationError(Exception):
    """An invitation cannot be redeemed; ``code`` is one of ``INVITATION_ERRORS``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class NotStaffError(PermissionError):
    """The user is not head, HR or methodist of the organisation (or it does not exist)."""


class OrganisationNotFoundError(LookupError):
    pass


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


# --- organisations ------------------------------------------------------------------------------


async def create_organisation(
    *, session: AsyncSession, name: str, kind: str, region: str | None = None
) -> Organisation:
    organisation = Organisation(name=name.strip(), kind=kind.strip(), region=region or None)
    session.add(organisation)
    await session.commit()
    await session.refresh(organisation)
    return organisation


async def get_organisation(*, session: AsyncSession, organisation_id: int) -> Organisation:
    """Raises ``OrganisationNotFoundError``."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFoundError(organisation_id)
    return organisation


async def list_organisations(*, session: AsyncSession) -> list[Organisation]:
    return list((await session.exec(select(Organisation).order_by(col(Organisation.id)))).all())


# --- invitations --------------------------------------------------------------------------------


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
    """A new invitation link valid for ``ttl_days``; ``role`` is a staff role or "teacher".

    Raises ``ValueError`` for an unknown role or a max_uses below 1, and
    ``OrganisationNotFoundError``.
    """
    if role not in (*STAFF_ROLES, TEACHER_ROLE):
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
        await _grant_role(session, user_id, "staff")
        if membership is not None:
            membership.role = invitation.role  # the latest link decides the role
            return membership
        role = invitation.role
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
        entry.user_id == user_id if entry is not None else membership.role == invitation.role
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


async def memberships_of(*, session: AsyncSession, user_id: int) -> list[tuple[Organisation, str]]:
    """The organisations the user belongs to, with their role in each."""
    query = (
        select(Organisation, Membership.role)
        .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
        .where(Membership.user_id == user_id)
        .order_by(col(Organisation.id))
    )
    return [(organisation, role) for organisation, role in (await session.exec(query)).all()]


async def staff_organisation(
    *, session: AsyncSession, user_id: int, organisation_id: int
) -> Organisation:
    """The organisation if the user is its head, HR or methodist; else ``NotStaffError``."""
    query = select(Membership.role).where(
        Membership.organisation_id == organisation_id, Membership.user_id == user_id
    )
    role = (await session.exec(query)).first()
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None or role not in STAFF_ROLES:
        raise NotStaffError(organisation_id)
    return organisation


# --- roster -------------------------------------------------------------------------------------


async def import_roster(
    *,
    session: AsyncSession,
    organisation_id: int,
    filename: str,
    data: bytes,
    limits: StaffSettings,
    ruleset: Ruleset,
    today: dt.date,
) -> ImportReport:
    """Import a roster file (CSV or XLSX) into the organisation, in one transaction.

    A file over ``limits.roster_max_bytes`` / ``roster_max_rows``, unreadable, without a header
    or missing columns raises ``RosterFileError`` and writes nothing. Bad rows are reported with
    their line numbers; the good ones are upserted by name (a re-import updates; an empty cell
    keeps the value already stored).
    """
    await get_organisation(session=session, organisation_id=organisation_id)
    parsed = parse_roster(
        filename,
        data,
        max_bytes=limits.roster_max_bytes,
        max_rows=limits.roster_max_rows,
        ruleset=ruleset,
        today=today,
    )
    existing = {
        entry.name_key: entry
        for entry in await roster_entries(session=session, organisation_id=organisation_id)
    }
    now = utcnow()
    added = updated = 0
    try:
        for row in parsed.rows:
            entry = existing.get(row.name_key)
            if entry is None:
                session.add(
                    RosterEntry(
                        organisation_id=organisation_id,
                        full_name=row.full_name,
                        name_key=row.name_key,
                        position_id=row.position_id,
                        username=row.username,
                        last_course_on=row.last_course_on,
                        category=row.category,
                    )
                )
                added += 1
                continue
            entry.full_name = row.full_name
            entry.position_id = row.position_id or entry.position_id
            entry.username = row.username or entry.username
            entry.last_course_on = row.last_course_on or entry.last_course_on
            entry.category = row.category or entry.category
            entry.updated_at = now
            updated += 1
        await session.commit()
    except BaseException:
        await session.rollback()  # all or nothing
        raise
    return ImportReport(
        added=added, updated=updated, rows_total=parsed.rows_total, errors=parsed.errors
    )


async def roster_entries(*, session: AsyncSession, organisation_id: int) -> list[RosterEntry]:
    """The roster, by name."""
    query = (
        select(RosterEntry)
        .where(RosterEntry.organisation_id == organisation_id)
        .order_by(col(RosterEntry.name_key))
    )
    return list((await session.exec(query)).all())


async def roster_invitation(
    *,
    session: AsyncSession,
    organisation_id: int,
    roster_entry_id: int,
    created_by: int | None,
    ttl_days: int = 30,
) -> CreatedInvitation:
    """A single-use link for one roster teacher: opening it links them to their entry.

    Raises ``LookupError`` when the entry is not on this organisation's roster.
    """
    entry = await session.get(RosterEntry, roster_entry_id)
    if entry is None or entry.organisation_id != organisation_id:
        raise LookupError(roster_entry_id)
    return await create_invitation(
        session=session,
        organisation_id=organisation_id,
        role=TEACHER_ROLE,
        ttl_days=ttl_days,
        created_by=created_by,
        roster_entry_id=roster_entry_id,
        max_uses=1,
    )


# --- digest -------------------------------------------------------------------------------------


async def digest(
    *, session: AsyncSession, organisation_id: int, today: dt.date, ruleset: Ruleset
) -> Digest:
    """Who is overdue and who is due within ``DUE_SOON_DAYS`` days, as of ``today``.

    A linked teacher's own course records count too: the later of the roster date and their
    latest recorded course is the one the due date follows.
    """
    organisation = await get_organisation(session=session, organisation_id=organisation_id)
    entries = await roster_entries(session=session, organisation_id=organisation_id)
    linked_ids = [entry.user_id for entry in entries if entry.user_id is not None]
    recorded: dict[int, dt.date] = {}
    if linked_ids:
        query = (
            select(CourseRecord.user_id, func.max(CourseRecord.completed_on))
            .where(col(CourseRecord.user_id).in_(linked_ids))
            .group_by(col(CourseRecord.user_id))
        )
        recorded = {user: last for user, last in (await session.exec(query)).all() if last}
    period = ruleset.meta.refresher.period_years
    overdue: list[DigestRow] = []
    due_soon: list[DigestRow] = []
    without_date: list[DigestRow] = []
    for entry in entries:
        dates = [entry.last_course_on, recorded.get(entry.user_id or -1)]
        known = [value for value in dates if value is not None]
        last = max(known) if known else None
        due = due_date(last, period) if last else None
        days_left = (due - today).days if due else None
        position = ruleset.positions.get(entry.position_id or "")
        names = (
            {"kk": position.name.kk, "ru": position.name.ru, "en": position.name.get("en")}
            if position
            else {}
        )
        row = DigestRow(
            full_name=entry.full_name,
            position=entry.position_id,
            position_name=names,
            last_course_on=last,
            due_on=due,
            days_left=days_left,
            linked=entry.user_id is not None,
        )
        if days_left is None:
            without_date.append(row)
        elif days_left < 0:
            overdue.append(row)
        elif days_left <= DUE_SOON_DAYS:
            due_soon.append(row)
    return Digest(
        organisation_id=organisation_id,
        organisation_name=organisation.name,
        today=today,
        overdue=sorted(overdue, key=lambda row: (row.days_left or 0, row.full_name)),
        due_soon=sorted(due_soon, key=lambda row: (row.days_left or 0, row.full_name)),
        without_date=without_date,
        total=len(entries),
    )


def digest_files(report: Digest, language: str) -> tuple[bytes, bytes]:
    """The digest as (CSV, XLSX) bytes, formula-safe (``backend.exports``)."""
    header, rows = digest_table(report, language)
    return to_csv(header, rows), to_xlsx(header, rows, title="Sanat")


def week_key(now: dt.datetime, settings: Settings) -> str:
    """The local ISO week, e.g. "2026-W49": one digest per recipient per week."""
    year, week, _ = now.astimezone(settings.tz).isocalendar()
    return f"{year}-W{week:02d}"


async def _insert_outbox(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    connection = await session.connection()
    builder = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = builder(Notification.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["dedupe_key"]
    )
    inserted = 0
    for row in rows:  # a handful per organisation; rowcount per row tells what went in
        result = await connection.execute(statement.values(**row))
        inserted += max(result.rowcount, 0)
    return inserted


async def enqueue_weekly_digests(
    session_pool: SessionPool, settings: Settings, ruleset: Ruleset, now: dt.datetime
) -> int:
    """Enqueue this week's digest to every head, HR and methodist; returns rows inserted.

    Two outbox rows per recipient: the message (dedupe ``digest:<org>:<user>:<week>``) and the
    XLSX as a document (``…:<week>:xlsx``) — a document caption is limited to 1024 characters,
    too short for the lists. An organisation with an empty roster gets nothing; people who
    blocked the bot are skipped. Each organisation is its own transaction.
    """
    delivery = settings.delivery
    send_at = next_send_moment(now, settings.tz, delivery.quiet_start, delivery.quiet_end)
    today = now.astimezone(settings.tz).date()
    week = week_key(now, settings)
    async with session_pool() as session:
        organisation_ids = [
            organisation.id
            for organisation in await list_organisations(session=session)
            if organisation.id is not None
        ]
    inserted = 0
    for organisation_id in organisation_ids:
        async with session_pool() as session:
            recipients = (
                await session.exec(
                    select(User)
                    .join(Membership, col(Membership.user_id) == col(User.id))
                    .where(
                        Membership.organisation_id == organisation_id,
                        col(Membership.role).in_(STAFF_ROLES),
                        col(User.unreachable_at).is_(None),
                    )
                )
            ).all()
            if not recipients:
                continue
            report = await digest(
                session=session, organisation_id=organisation_id, today=today, ruleset=ruleset
            )
            if report.total == 0:
                continue
            texts = digest_texts(report, DUE_SOON_DAYS)
            captions = digest_captions(report)
            rows: list[dict[str, Any]] = []
            for user in recipients:
                key = f"digest:{organisation_id}:{user.id}:{week}"
                _, xlsx = digest_files(report, user.language or "ru")
                common = {
                    "user_id": user.id,
                    "chat_id": user.telegram_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": send_at,  # not in the quiet hours
                    "created_at": now,
                }
                rows.append(
                    {**common, "kind": DIGEST_KIND, "dedupe_key": key, "payload": {"text": texts}}
                )
                document = {
                    "filename": digest_filename(report, "xlsx"),
                    "content_b64": base64.b64encode(xlsx).decode("ascii"),
                }
                rows.append(
                    {
                        **common,
                        "kind": DIGEST_FILE_KIND,
                        "dedupe_key": f"{key}:xlsx",
                        "payload": {"document": document, "text": captions},
                    }
                )
            inserted += await _insert_outbox(session, rows)
            await session.commit()
    if inserted:
        log.info("staff digests enqueued", extra={"count": inserted})
    return inserted


def add_digest_job(
    scheduler: Any, session_pool: SessionPool, settings: Settings, ruleset: Ruleset
) -> None:
    """Weekly at ``staff.digest_weekday`` / ``digest_time`` local time, fixed id."""
    from apscheduler.triggers.cron import CronTrigger

    async def run() -> None:
        await enqueue_weekly_digests(session_pool, settings, ruleset, utcnow())

    staff = settings.staff
    trigger = CronTrigger(
        day_of_week=staff.digest_weekday,
        hour=staff.digest_time.hour,
        minute=staff.digest_time.minute,
        timezone=settings.tz,
    )
    scheduler.add_job(run, trigger, id=DIGEST_JOB_ID, replace_existing=True)
