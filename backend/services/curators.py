"""Curators: grant, revoke, list, and the scope a curator may reach.

Interface fixed for the bot and the API; bodies being written. Each public function owns its
transaction (it commits what it changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import User

ScopeKind = Literal["everyone", "region", "orgs"]


@dataclass(frozen=True)
class Scope:
    """Whom a curator may reach. Admins reach everyone."""

    kind: ScopeKind = "everyone"
    regions: tuple[str, ...] = ()  # region codes of backend.directory.REGIONS
    organisation_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CuratorEntry:
    user: User
    scope: Scope


class NotCuratorError(PermissionError):
    """The user is neither a curator nor an admin."""


class ScopeError(ValueError):
    """A scope names an unknown region or organisation, or is empty."""


async def grant_curator(
    *, session: AsyncSession, user_id: int, scope: Scope, granted_by: int | None = None
) -> CuratorEntry:
    """Give ``user_id`` the curator role with ``scope`` (replacing an earlier scope)."""
    raise NotImplementedError


async def revoke_curator(*, session: AsyncSession, user_id: int) -> bool:
    """Take the curator role away; False if the user was not a curator."""
    raise NotImplementedError


async def scope_of(*, session: AsyncSession, user_id: int) -> Scope:
    """The curator's scope (everyone for an admin); raises NotCuratorError otherwise."""
    raise NotImplementedError


async def list_curators(*, session: AsyncSession) -> list[CuratorEntry]:
    raise NotImplementedError


async def is_admin(*, session: AsyncSession, user_id: int) -> bool:
    raise NotImplementedError
