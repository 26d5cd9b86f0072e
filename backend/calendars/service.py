"""Calendar events: add, list, remove (each call owns its transaction) and the windows a
reminder or a screen needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import CalendarEvent

KINDS = ("testing", "attestation", "other")
# an organisation kind of the rules data, or "university" (Order 616 staff); None: everyone
AUDIENCES = (
    "preschool",
    "school",
    "orphan_care",
    "special",
    "additional_children",
    "additional_adults",
    "methodological_centre",
    "tvet",
    "university",
)
MAX_BASIS = 512
PROBLEMS = {
    "kind": "kind must be one of " + ", ".join(KINDS),
    "dates": "the end is before the start",
    "span": "a window longer than a year",
    "basis": f"the legal basis must be 1 to {512} characters",
    "audience": "audience must be one of " + ", ".join(AUDIENCES),
}
MAX_SPAN_DAYS = 366


class CalendarInputError(ValueError):
    """Bad event input; ``code`` names the problem (kind, dates, span, basis, audience)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DuplicateEventError(ValueError):
    """An event of the same kind, start and audience exists already."""

    def __init__(self, existing_id: int) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


class EventNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class EventInput:
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    legal_basis: str
    audience: str | None = None


def validate_event(event: EventInput) -> EventInput:
    """The event with its text trimmed, or ``CalendarInputError``."""
    basis = " ".join(event.legal_basis.split())
    audience = event.audience.strip().lower() if event.audience else None
    if event.kind not in KINDS:
        raise CalendarInputError("kind")
    if event.ends_on < event.starts_on:
        raise CalendarInputError("dates")
    if (event.ends_on - event.starts_on).days > MAX_SPAN_DAYS:
        raise CalendarInputError("span")
    if not basis or len(basis) > MAX_BASIS:
        raise CalendarInputError("basis")
    if audience is not None and audience not in AUDIENCES:
        raise CalendarInputError("audience")
    return EventInput(event.kind, event.starts_on, event.ends_on, basis, audience)


async def add_event(*, session: AsyncSession, event: EventInput) -> CalendarEvent:
    clean = validate_event(event)
    existing = (
        await session.exec(
            select(CalendarEvent.id).where(
                CalendarEvent.kind == clean.kind,
                CalendarEvent.starts_on == clean.starts_on,
                col(CalendarEvent.audience).is_(None)
                if clean.audience is None
                else CalendarEvent.audience == clean.audience,
            )
        )
    ).first()
    if existing is not None:
        raise DuplicateEventError(existing)
    record = CalendarEvent(
        kind=clean.kind,
        starts_on=clean.starts_on,
        ends_on=clean.ends_on,
        legal_basis=clean.legal_basis,
        audience=clean.audience,
    )
    session.add(record)
    await session.commit()
    await session.refresh(record)
    return record


async def list_events(
    *, session: AsyncSession, kind: str | None = None, since: dt.date | None = None
) -> list[CalendarEvent]:
    """Oldest first; ``since`` keeps the events not over before that day."""
    query = select(CalendarEvent).order_by(col(CalendarEvent.starts_on), col(CalendarEvent.id))
    if kind is not None:
        query = query.where(CalendarEvent.kind == kind)
    if since is not None:
        query = query.where(CalendarEvent.ends_on >= since)
    return list((await session.exec(query)).all())


async def remove_event(*, session: AsyncSession, event_id: int) -> CalendarEvent:
    record = await session.get(CalendarEvent, event_id)
    if record is None:
        raise EventNotFoundError(event_id)
    await session.delete(record)
    await session.commit()
    return record


async def upcoming_testing_windows(
    *, session: AsyncSession, since: dt.date | None = None, audience: str | None = None
) -> list[CalendarEvent]:
    """The testing windows for everyone plus those for ``audience`` (an organisation kind)."""
    events = await list_events(session=session, kind="testing", since=since)
    return [e for e in events if e.audience is None or e.audience == audience]
