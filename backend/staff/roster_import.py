"""A roster file into an organisation's roster, and the single-use link for one roster teacher.

Parsing and validation live in ``backend.roster_parsing``; this module writes the result. Each
public function takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models.staff import RosterEntry
from backend.models.types import utcnow
from backend.roster_parsing.rows import ImportReport, Lookups, RowError
from backend.roster_parsing.worker import RosterParser, unpickled
from backend.rules.loader import Ruleset
from backend.settings import StaffSettings
from backend.staff.invitations import CreatedInvitation, create_invitation
from backend.staff.organisations import TEACHER_ROLE, get_organisation

IMPORT_CHUNK = 500  # rows per statement


async def import_roster(
    *,
    session: AsyncSession,
    organisation_id: int,
    filename: str,
    data: bytes,
    limits: StaffSettings,
    ruleset: Ruleset,
    today: dt.date,
    parser: RosterParser | None = None,
) -> ImportReport:
    """Import a roster file (CSV or XLSX) into the organisation, in one transaction.

    A file over ``limits.roster_max_bytes`` / ``roster_max_rows``, unreadable, without a header
    or missing columns raises ``RosterFileError`` and writes nothing. Bad rows are reported with
    their line numbers; the good ones are upserted by name (a re-import updates; an empty cell
    keeps the value already stored). ``parser`` is the app's worker process (see
    ``backend.roster_parsing.worker``); without one, parsing runs in a worker thread.
    """
    await get_organisation(session=session, organisation_id=organisation_id)
    table: Any = RosterEntry.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    stored = await connection.execute(
        select(table.c.id, table.c.name_key).where(table.c.organisation_id == organisation_id)
    )
    existing: dict[str, int] = {name_key: entry_id for entry_id, name_key in stored.all()}
    # Parsing and sorting rows into inserts and updates is CPU work (unzip, XML, validation,
    # tens of thousands of rows): done in another process, the event loop keeps answering.
    plan = await (parser or RosterParser(None)).plan(
        filename,
        data,
        max_bytes=limits.roster_max_bytes,
        max_rows=limits.roster_max_rows,
        lookups=Lookups(ruleset),
        today=today,
        organisation_id=organisation_id,
        existing=existing,
        now=utcnow(),
    )
    # An empty cell keeps the value already stored.
    keep: dict[str, Any] = {
        name: func.coalesce(bindparam(name), table.c[name])
        for name in ("position_id", "username", "last_course_on", "category")
    }
    updating = (
        update(table)
        .where(table.c.id == bindparam("entry_id"))
        .values(full_name=bindparam("full_name"), updated_at=bindparam("now"), **keep)
    )
    try:
        # One chunk per statement with a yield between them: a 50 000-row import never holds
        # the loop for long (each chunk is unpickled just before it is written).
        for chunk in plan.new_chunks:
            await connection.execute(insert(table), unpickled(chunk))
            await asyncio.sleep(0)
        for chunk in plan.changed_chunks:
            await connection.execute(updating, unpickled(chunk))
            await asyncio.sleep(0)
        await session.commit()
    except BaseException:
        await session.rollback()  # all or nothing
        raise
    errors: list[RowError] = []
    for chunk in plan.error_chunks:
        errors += unpickled(chunk)
        await asyncio.sleep(0)
    return ImportReport(
        added=plan.added,
        updated=plan.updated,
        rows_total=plan.rows_total,
        errors=errors,
        delimiter=plan.delimiter,
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
