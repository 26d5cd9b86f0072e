"""Organisations and their members: who belongs where, and who is on an organisation's staff.

Each public function takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Membership, Organisation

STAFF_ROLES = ("head", "hr", "methodist")
TEACHER_ROLE = "teacher"
# Students join through one shared link a college posts in its new students' chat, so that
# broadcasts to students (and the ZHASTALAP relay, seed 003 section 3) reach them.
STUDENT_ROLE = "student"


class NotStaffError(PermissionError):
    """The user is not head, HR or methodist of the organisation (or it does not exist)."""


class OrganisationNotFoundError(LookupError):
    pass


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
