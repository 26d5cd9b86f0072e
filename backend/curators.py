"""Curators: grant, revoke, list, and the scope a curator may reach.

The curator role is a ``user_role`` row "curator"; the ``curator_scope`` row says how far it
reaches. Admins (role "admin") reach everyone without a scope row. Each public function owns its
transaction (it commits what it changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.directory import REGION_CODES
from backend.models import CuratorScope, Organisation, User, UserRole
from backend.models.types import utcnow

ScopeKind = Literal["everyone", "region", "orgs"]
SCOPE_KINDS: tuple[ScopeKind, ...] = get_args(ScopeKind)
ADMIN_ROLE = "admin"
CURATOR_ROLE = "curator"


@dataclass(frozen=True)
class Scope:
    """Whom a curator may reach. Admins reach everyone."""

    kind: ScopeKind = "everyone"
    regions: tuple[str, ...] = ()  # region codes of backend.directory.REGIONS
    organisation_ids: tuple[int, ...] = ()


# Whom a curator reaches when their scope is missing or unreadable: nobody (fail closed).
NOBODY = Scope(kind="orgs", organisation_ids=())


@dataclass(frozen=True)
class CuratorEntry:
    user: User
    scope: Scope


class NotCuratorError(PermissionError):
    """The user is neither a curator nor an admin."""


class ScopeError(ValueError):
    """A scope names an unknown region or organisation, or is empty."""


async def _validated(session: AsyncSession, scope: Scope) -> Scope:
    """The scope with sorted, de-duplicated members; ScopeError if it names nothing real."""
    if scope.kind == "everyone":
        return Scope()
    if scope.kind == "region":
        regions = tuple(sorted(set(scope.regions)))
        unknown = [code for code in regions if code not in REGION_CODES]
        if not regions or unknown:
            raise ScopeError(f"unknown or missing regions: {unknown or 'none given'}")
        return Scope(kind="region", regions=regions)
    if scope.kind == "orgs":
        ids = tuple(sorted(set(scope.organisation_ids)))
        found = set(
            (
                await session.exec(
                    select(Organisation.id).where(col(Organisation.id).in_(ids or (-1,)))
                )
            ).all()
        )
        missing = [i for i in ids if i not in found]
        if not ids or missing:
            raise ScopeError(f"unknown or missing organisations: {missing or 'none given'}")
        return Scope(kind="orgs", organisation_ids=ids)
    raise ScopeError(f"unknown scope kind {scope.kind!r}")


def _scope_of_row(row: CuratorScope | None) -> Scope:
    """The stored scope; a missing row or a kind this code does not know reaches nobody."""
    if row is None or row.kind not in SCOPE_KINDS:
        return NOBODY
    return Scope(
        kind=row.kind,
        regions=tuple(row.regions or ()),
        organisation_ids=tuple(int(i) for i in row.organisation_ids or ()),
    )


async def grant_curator(
    *, session: AsyncSession, user_id: int, scope: Scope, granted_by: int | None = None
) -> CuratorEntry:
    """Give ``user_id`` the curator role with ``scope`` (replacing an earlier scope)."""
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    scope = await _validated(session, scope)
    if await session.get(UserRole, (user_id, CURATOR_ROLE)) is None:
        session.add(UserRole(user_id=user_id, role=CURATOR_ROLE))
    row = await session.get(CuratorScope, user_id)
    if row is None:
        row = CuratorScope(user_id=user_id)
        session.add(row)
    row.kind = scope.kind
    row.regions = list(scope.regions)
    row.organisation_ids = list(scope.organisation_ids)
    row.granted_by = granted_by
    row.granted_at = utcnow()
    await session.commit()
    await session.refresh(user)
    return CuratorEntry(user=user, scope=scope)


async def revoke_curator(*, session: AsyncSession, user_id: int) -> bool:
    """Take the curator role away; False if the user was not a curator."""
    role = await session.get(UserRole, (user_id, CURATOR_ROLE))
    row = await session.get(CuratorScope, user_id)
    if role is None and row is None:
        return False
    if role is not None:
        await session.delete(role)
    if row is not None:
        await session.delete(row)
    await session.commit()
    return True


async def is_admin(*, session: AsyncSession, user_id: int) -> bool:
    return await session.get(UserRole, (user_id, ADMIN_ROLE)) is not None


async def scope_of(*, session: AsyncSession, user_id: int) -> Scope:
    """The curator's scope (everyone for an admin); raises NotCuratorError otherwise."""
    if await is_admin(session=session, user_id=user_id):
        return Scope()
    if await session.get(UserRole, (user_id, CURATOR_ROLE)) is None:
        raise NotCuratorError(f"user {user_id} is not a curator")
    return _scope_of_row(await session.get(CuratorScope, user_id))


async def list_curators(*, session: AsyncSession) -> list[CuratorEntry]:
    rows = await session.exec(
        select(User, CuratorScope)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .outerjoin(CuratorScope, col(CuratorScope.user_id) == col(User.id))
        .where(col(UserRole.role) == CURATOR_ROLE)
        .order_by(col(User.id))
    )
    return [CuratorEntry(user=user, scope=_scope_of_row(row)) for user, row in rows.all()]


async def user_id_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> int | None:
    """The user behind a Telegram account, if they have ever opened the bot."""
    found = await session.exec(select(User.id).where(col(User.telegram_id) == telegram_id))
    return found.first()
