"""People, organisations and Telegram updates for the channel tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from aiogram.types import (
    Chat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    Message,
    Update,
)
from aiogram.types import User as TgUser
from sqlmodel import select

from backend.db import SessionPool
from backend.models import (
    Channel,
    CuratorScope,
    Membership,
    Notification,
    Organisation,
    User,
    UserRole,
)
from testing.mocked_bot import BOT_USER
from testing.updates import tg_user

_ids = itertools.count(500_000)


async def make_user(
    pool: SessionPool,
    telegram_id: int,
    *,
    roles: tuple[str, ...] = (),
    scope: dict[str, Any] | None = None,
    name: str | None = None,
) -> int:
    """A user (language "en": new msgids are shown as written) with roles and a curator scope."""
    async with pool() as session:
        user = User(
            telegram_id=telegram_id, full_name=name or f"Person {telegram_id}", language="en"
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        if scope is not None:
            session.add(CuratorScope(user_id=user.id, **scope))
        await session.commit()
        return user.id


async def make_org(
    pool: SessionPool,
    name: str,
    region: str | None = None,
    *,
    members: dict[int, str] | None = None,
    duty_day: int | None = None,
    responsible: int | None = None,
) -> int:
    async with pool() as session:
        organisation = Organisation(
            name=name,
            kind="tvet",
            region=region,
            duty_day=duty_day,
            responsible_user_id=responsible,
        )
        session.add(organisation)
        await session.flush()
        assert organisation.id is not None
        for user_id, role in (members or {}).items():
            session.add(Membership(organisation_id=organisation.id, user_id=user_id, role=role))
        await session.commit()
        return organisation.id


async def make_channel(
    pool: SessionPool,
    chat_id: int,
    *,
    organisation_id: int | None = None,
    links: dict[str, str] | None = None,
    active: bool = True,
) -> int:
    async with pool() as session:
        channel = Channel(
            chat_id=chat_id,
            title=f"Channel {chat_id}",
            kind="channel",
            organisation_id=organisation_id,
            links=links or {},
            active=active,
        )
        session.add(channel)
        await session.commit()
        assert channel.id is not None
        return channel.id


async def channels_by_chat(pool: SessionPool) -> dict[int, Channel]:
    async with pool() as session:
        return {c.chat_id: c for c in (await session.exec(select(Channel))).all()}


async def outbox(pool: SessionPool, kind: str | None = None) -> list[Notification]:
    async with pool() as session:
        query = select(Notification).order_by(Notification.id)  # type: ignore[arg-type]
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return list((await session.exec(query)).all())


def _admin(user: TgUser) -> ChatMemberAdministrator:
    rights = dict.fromkeys(
        (
            "can_be_edited",
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_send_welcome_messages",
        ),
        False,
    )
    rights["can_post_messages"] = True
    return ChatMemberAdministrator.model_validate({"user": user, **rights})


def bot_member_update(
    chat_id: int,
    by: int,
    *,
    promoted: bool,
    chat_type: str = "channel",
    title: str = "ZHASTALAP",
    left: bool = False,
) -> Update:
    """The bot's own membership changed in a chat, by the Telegram user ``by``."""
    before: Any = ChatMemberMember(user=BOT_USER) if promoted else _admin(BOT_USER)
    after: Any
    if promoted:
        after = _admin(BOT_USER)
    elif left:
        after = ChatMemberLeft(user=BOT_USER)
    else:
        after = ChatMemberMember(user=BOT_USER)
    event = ChatMemberUpdated(
        chat=Chat(id=chat_id, type=chat_type, title=title),
        from_user=tg_user(by),
        date=dt.datetime.now(dt.UTC),
        old_chat_member=before,
        new_chat_member=after,
    )
    return Update(update_id=next(_ids), my_chat_member=event)


def migrated_update(old_chat_id: int, new_chat_id: int, by: int) -> Update:
    message = Message(
        message_id=next(_ids),
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=old_chat_id, type="group", title="Group"),
        from_user=tg_user(by),
        migrate_to_chat_id=new_chat_id,
    )
    return Update(update_id=next(_ids), message=message)


def photo_update(user_id: int, message_id: int) -> Update:
    """A photo with a caption in the private chat (material of any type is accepted)."""
    message = Message.model_validate(
        {
            "message_id": message_id,
            "date": dt.datetime.now(dt.UTC),
            "chat": {"id": user_id, "type": "private"},
            "from": tg_user(user_id).model_dump(),
            "photo": [{"file_id": "PHOTO", "file_unique_id": "P1", "width": 10, "height": 10}],
            "caption": "Колледж жаңалықтары",
        }
    )
    return Update(update_id=next(_ids), message=message)
