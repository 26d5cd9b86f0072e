from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, bindparam, func
from sqlalchemy import select as sa_select  # sqlmodel's select types at most 4 columns
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import User, UserRead, UserRole
from backend.models.types import utcnow

LANGUAGES = ("kk", "ru", "en")


def _read(user: User, roles: list[str]) -> UserRead:
    assert user.id is not None
    return UserRead(
        id=user.id,
        telegram_id=user.telegram_id,
        username=user.username,
        full_name=user.full_name,
        language=user.language,
        roles=roles,
    )


# Built once, with the Telegram id as a bound parameter: building the WHERE clause per update
# (column comparison, a new statement, its cache key) cost as much as running the query.
_USER_ROW = (
    sa_select(
        col(User.id),
        col(User.username),
        col(User.full_name),
        col(User.language),
        col(User.unreachable_at),
        col(UserRole.role),
    )
    .outerjoin(UserRole, col(UserRole.user_id) == col(User.id))
    .where(col(User.telegram_id) == bindparam("telegram_id"))
)


_UserRow = Row[int | None, str | None, str | None, str | None, dt.datetime | None, str]


async def _user_rows(session: AsyncSession, telegram_id: int) -> Sequence[_UserRow]:
    """The user's rows (one per role). Unless the session already has a transaction, on a
    connection of its own that opens none: on PostgreSQL in autocommit, which spares the BEGIN
    and ROLLBACK round trips (SQLite opens no transaction for a read anyway). A dialog step that
    writes nothing then never takes a connection for the session."""
    parameters = {"telegram_id": telegram_id}
    bind = session.bind
    if not isinstance(bind, AsyncEngine) or session.in_transaction():
        return (await (await session.connection()).execute(_USER_ROW, parameters)).all()
    try:
        return await _user_rows_autocommit(bind, parameters)
    except DBAPIError as error:
        # A pooled connection used in the last seconds is not pinged (backend.db), so after a
        # PostgreSQL restart this read, every update's first statement, may meet a dead one.
        # The pool has dropped it: the read is safe to repeat, on a new connection.
        if not error.connection_invalidated:
            raise
        return await _user_rows_autocommit(bind, parameters)


async def _user_rows_autocommit(
    engine: AsyncEngine, parameters: dict[str, int]
) -> Sequence[_UserRow]:
    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            await connection.execution_options(isolation_level="AUTOCOMMIT")
        return (await connection.execute(_USER_ROW, parameters)).all()


async def get_or_create_user(
    *, session: AsyncSession, telegram_id: int, username: str | None, full_name: str | None
) -> UserRead:
    """The user behind a Telegram account, created on first contact; profile fields refreshed."""
    # This runs on every update: one query for the user and their roles, in Core (plain rows,
    # no ORM objects); a write only when something changed.
    rows = await _user_rows(session, telegram_id)
    if not rows:
        user = User(telegram_id=telegram_id, username=username, full_name=full_name)
        session.add(user)
        await session.commit()
        return _read(user, roles=[])
    user_id, stored_username, stored_full_name, language, unreachable_at, _role = rows[0]
    roles = sorted(row[5] for row in rows if row[5] is not None)
    assert user_id is not None
    if (stored_username, stored_full_name) != (username, full_name) or unreachable_at:
        # they wrote to us, so they can be reached again
        await (await session.connection()).execute(
            update(User)
            .where(col(User.id) == user_id)
            .values(
                username=username, full_name=full_name, unreachable_at=None, updated_at=utcnow()
            )
        )
        await session.commit()
    return UserRead(
        id=user_id,
        telegram_id=telegram_id,
        username=username,
        full_name=full_name,
        language=language,
        roles=roles,
    )


async def set_language(*, session: AsyncSession, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    user.language = language
    user.updated_at = utcnow()
    await session.commit()


async def grant_role(*, session: AsyncSession, user_id: int, role: str) -> None:
    existing = await session.get(UserRole, (user_id, role))
    if existing is None:
        session.add(UserRole(user_id=user_id, role=role))
        await session.commit()


async def users_with_role(*, session: AsyncSession, role: str) -> list[int]:
    rows = await session.exec(select(UserRole.user_id).where(col(UserRole.role) == role))
    return list(rows.all())


async def find_user_id_by_username(*, session: AsyncSession, username: str) -> int | None:
    """The user whose Telegram @username this is (case-insensitive), if they opened the bot."""
    wanted = username.lstrip("@").lower()
    if not wanted:
        return None
    rows = await session.exec(select(User.id).where(func.lower(col(User.username)) == wanted))
    return rows.first()


async def get_user(*, session: AsyncSession, user_id: int) -> UserRead | None:
    """A user and their roles by Sanat id (for someone other than the sender of an update)."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    rows = await session.exec(select(UserRole.role).where(col(UserRole.user_id) == user_id))
    return _read(user, sorted(rows.all()))
