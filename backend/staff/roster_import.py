"""A roster file into an organisation's roster, and the single-use link for one roster teacher.

Parsing and validation live in ``backend.staff.roster``; this module writes the result. Each
public function takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models.staff import RosterEntry
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import StaffSettings
from backend.staff.invitations import CreatedInvitation, create_invitation
from backend.staff.organisations import TEACHER_ROLE, get_organisation
from backend.staff.roster import ImportReport, parse_roster


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
