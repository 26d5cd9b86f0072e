"""A roster file into an organisation's roster, and the single-use link for one roster teacher.

Parsing and validation live in ``backend.staff.roster``; this module writes the result. Each
public function takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models.staff import RosterEntry
from backend.models.types import utcnow
from backend.rules.loader import Ruleset
from backend.settings import StaffSettings
from backend.staff.invitations import CreatedInvitation, create_invitation
from backend.staff.organisations import TEACHER_ROLE, get_organisation
from backend.staff.roster import ImportReport, ParsedRoster, parse_roster

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
) -> ImportReport:
    """Import a roster file (CSV or XLSX) into the organisation, in one transaction.

    A file over ``limits.roster_max_bytes`` / ``roster_max_rows``, unreadable, without a header
    or missing columns raises ``RosterFileError`` and writes nothing. Bad rows are reported with
    their line numbers; the good ones are upserted by name (a re-import updates; an empty cell
    keeps the value already stored).
    """
    await get_organisation(session=session, organisation_id=organisation_id)
    table: Any = RosterEntry.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    stored = await connection.execute(
        select(table.c.id, table.c.name_key).where(table.c.organisation_id == organisation_id)
    )
    existing: dict[str, int] = {name_key: entry_id for entry_id, name_key in stored.all()}
    # Parsing and sorting rows into inserts and updates is CPU work (unzip, XML, validation,
    # tens of thousands of rows): a worker thread keeps the event loop answering meanwhile.
    plan = await asyncio.to_thread(
        _plan,
        filename,
        data,
        limits=limits,
        ruleset=ruleset,
        today=today,
        organisation_id=organisation_id,
        existing=existing,
    )
    new_rows, changed = plan.new_rows, plan.changed
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
        # Chunks with a yield between them: a 50 000-row import never holds the loop for long.
        for start in range(0, len(new_rows), IMPORT_CHUNK):
            await connection.execute(insert(table), new_rows[start : start + IMPORT_CHUNK])
            await asyncio.sleep(0)
        for start in range(0, len(changed), IMPORT_CHUNK):
            await connection.execute(updating, changed[start : start + IMPORT_CHUNK])
            await asyncio.sleep(0)
        await session.commit()
    except BaseException:
        await session.rollback()  # all or nothing
        raise
    return ImportReport(
        added=len(new_rows),
        updated=len(changed),
        rows_total=plan.parsed.rows_total,
        errors=plan.parsed.errors,
        delimiter=plan.parsed.delimiter,
    )


@dataclass(frozen=True)
class _Plan:
    parsed: ParsedRoster
    new_rows: list[dict[str, Any]]
    changed: list[dict[str, Any]]


def _plan(
    filename: str,
    data: bytes,
    *,
    limits: StaffSettings,
    ruleset: Ruleset,
    today: dt.date,
    organisation_id: int,
    existing: dict[str, int],
) -> _Plan:
    """The file's rows as insert and update parameters (runs in a worker thread)."""
    parsed = parse_roster(
        filename,
        data,
        max_bytes=limits.roster_max_bytes,
        max_rows=limits.roster_max_rows,
        ruleset=ruleset,
        today=today,
    )
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in parsed.rows:
        values = {
            "full_name": row.full_name,
            "position_id": row.position_id,
            "username": row.username,
            "last_course_on": row.last_course_on,
            "category": row.category,
        }
        entry_id = existing.get(row.name_key)
        if entry_id is None:
            new_rows.append(
                {
                    **values,
                    "organisation_id": organisation_id,
                    "name_key": row.name_key,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            changed.append({**values, "entry_id": entry_id, "now": now})
    return _Plan(parsed=parsed, new_rows=new_rows, changed=changed)


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
