"""Who has the UMO secretary role (their yearly duties become reminders, ``reminders``)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend import users
from backend.courses import service as courses
from backend.models import UserRole
from backend.umo.directory import SECRETARY_ROLE


async def set_secretary(*, session: AsyncSession, telegram_id: int, secretary: bool) -> bool:
    """Grant or revoke the role; False when no user has that Telegram id."""
    user_id = await courses.find_user_id(session=session, telegram_id=telegram_id)
    if user_id is None:
        return False
    if secretary:
        await users.grant_role(session=session, user_id=user_id, role=SECRETARY_ROLE)
        return True
    role = await session.get(UserRole, (user_id, SECRETARY_ROLE))
    if role is not None:
        await session.delete(role)
        await session.commit()
    return True
