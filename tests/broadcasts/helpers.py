"""Building people, organisations and curators for the broadcast tests."""

from __future__ import annotations

import datetime as dt
import itertools

from aiogram import Bot

from backend import curators
from backend.db import SessionPool
from backend.delivery import DeliveryWorker
from backend.models import Membership, Organisation, TeacherProfile, User, UserRole
from backend.settings import DeliverySettings

_telegram_ids = itertools.count(500_000)
TEXT = {"ru": {"type": "text", "text": "Здравствуйте, {name}!"}}


async def person(
    pool: SessionPool,
    *,
    name: str = "Айгүл",
    region: str | None = None,
    roles: tuple[str, ...] = (),
    org: int | None = None,
    org_role: str = "teacher",
    category: str | None = None,
    language: str = "ru",
) -> int:
    async with pool() as session:
        user = User(
            telegram_id=next(_telegram_ids), full_name=name, region=region, language=language
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        if org is not None:
            session.add(Membership(organisation_id=org, user_id=user.id, role=org_role))
        if category is not None:
            session.add(TeacherProfile(user_id=user.id, current_category=category))
        await session.commit()
        return user.id


async def organisation(pool: SessionPool, region: str, name: str = "Колледж") -> int:
    async with pool() as session:
        org = Organisation(name=name, kind="tvet", region=region)
        session.add(org)
        await session.commit()
        assert org.id is not None
        return org.id


async def admin(pool: SessionPool) -> int:
    return await person(pool, name="Админ", roles=("admin",))


async def curator(pool: SessionPool, scope: curators.Scope) -> int:
    user_id = await person(pool, name="Куратор")
    async with pool() as session:
        await curators.grant_curator(session=session, user_id=user_id, scope=scope)
    return user_id


async def deliver(pool: SessionPool, bot: Bot, now: dt.datetime) -> int:
    """Run the real delivery worker with ``bot`` until nothing is due at ``now`` (its wall
    clock); how many rows it handled. No per-chat spacing, so a test does not wait a second
    per message."""
    worker = DeliveryWorker(
        settings=DeliverySettings(per_chat_interval=0), session_pool=pool, bot=bot, now=lambda: now
    )
    handled = 0
    while batch := await worker.run_once():
        handled += batch
    return handled
