"""Helpers for the broadcast and News flow tests: people in the database, curators, media and
forwarded-post updates as Telegram sends them."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from aiogram.types import Chat as TgChat
from aiogram.types import Document, MessageOriginChannel, PhotoSize
from sqlmodel import col, select

from backend import curators, users
from backend.curators import Scope
from backend.db import SessionPool
from backend.models import Broadcast, Membership, Notification, TeacherProfile
from backend.models import User as DbUser
from backend.models.types import utcnow
from testing.chat import Chat, user_id_of
from testing.mocked_bot import MockedBot
from testing.updates import private_message_update

_ids = itertools.count(900_000)


async def make_curator(session_pool: SessionPool, chat: Chat, scope: Scope | None = None) -> int:
    user_id = await user_id_of(session_pool, chat)
    async with session_pool() as session:
        await curators.grant_curator(session=session, user_id=user_id, scope=scope or Scope())
    return user_id


async def scope_of(session_pool: SessionPool, user_id: int) -> Scope:
    """Whom the user may reach as a curator (raises NotCuratorError if they are not one)."""
    async with session_pool() as session:
        return await curators.scope_of(session=session, user_id=user_id)


async def make_admin(session_pool: SessionPool, chat: Chat) -> int:
    user_id = await user_id_of(session_pool, chat)
    async with session_pool() as session:
        await users.grant_role(session=session, user_id=user_id, role="admin")
    return user_id


async def add_people(
    session_pool: SessionPool,
    count: int,
    *,
    region: str | None = None,
    role: str | None = None,
    unreachable: bool = False,
) -> list[int]:
    """People who opened the bot at some point (rows only: they send nothing in the test)."""
    ids = []
    async with session_pool() as session:
        for _ in range(count):
            person = DbUser(
                telegram_id=next(_ids),
                full_name="Person",
                language="ru",
                region=region,
                unreachable_at=utcnow() if unreachable else None,
            )
            session.add(person)
            await session.commit()
            assert person.id is not None
            ids.append(person.id)
            if role is not None:
                await users.grant_role(session=session, user_id=person.id, role=role)
    return ids


async def add_members(
    session_pool: SessionPool, organisation_id: int, count: int, role: str = "teacher"
) -> list[int]:
    ids = await add_people(session_pool, count)
    async with session_pool() as session:
        for user_id in ids:
            session.add(Membership(organisation_id=organisation_id, user_id=user_id, role=role))
        await session.commit()
    return ids


async def set_category(session_pool: SessionPool, user_ids: list[int], category: str) -> None:
    async with session_pool() as session:
        for user_id in user_ids:
            session.add(TeacherProfile(user_id=user_id, current_category=category))
        await session.commit()


async def broadcasts_of(session_pool: SessionPool) -> list[Broadcast]:
    async with session_pool() as session:
        return list((await session.exec(select(Broadcast).order_by(col(Broadcast.id)))).all())


async def outbox_of(session_pool: SessionPool, broadcast_id: int) -> list[Notification]:
    async with session_pool() as session:
        rows = await session.exec(
            select(Notification).where(col(Notification.broadcast_id) == broadcast_id)
        )
        return list(rows.all())


async def _send_content(chat: Chat, **content: Any) -> None:
    await chat.dispatcher.feed_update(chat.bot, private_message_update(chat.user, **content))


async def send_photo(
    chat: Chat, file_id: str, caption: str | None = None, album: str | None = None
) -> None:
    photo = [
        PhotoSize(file_id=f"{file_id}-small", file_unique_id="s", width=90, height=90),
        PhotoSize(file_id=file_id, file_unique_id="l", width=1280, height=1280),
    ]
    await _send_content(chat, photo=photo, caption=caption, media_group_id=album)


async def send_document(chat: Chat, file_id: str, caption: str | None = None) -> None:
    document = Document(file_id=file_id, file_unique_id="d", file_name="order.pdf")
    await _send_content(chat, document=document, caption=caption)


async def forward_channel_post(chat: Chat, channel_id: int, post_id: int, text: str) -> None:
    origin = MessageOriginChannel(
        date=dt.datetime.now(dt.UTC),
        chat=TgChat(id=channel_id, type="channel", title="ZHASTALAP"),
        message_id=post_id,
    )
    await _send_content(chat, text=text, forward_origin=origin)


def alerts(bot: MockedBot) -> list[str]:
    return [str(r.text) for r in bot.sent("AnswerCallbackQuery") if r.text]
