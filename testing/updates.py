"""Real aiogram ``Update`` objects, as Telegram would send them."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def tg_user(user_id: int = 1001, language_code: str | None = "ru") -> User:
    return User(
        id=user_id,
        is_bot=False,
        first_name="Айгүл",
        last_name="Сапарова",
        username=f"teacher{user_id}",
        language_code=language_code,
    )


def message_update(text: str, user: User | None = None) -> Update:
    user = user or tg_user()
    entities = None
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        entities = [MessageEntity(type="bot_command", offset=0, length=len(command))]
    message = Message(
        message_id=next(_message_ids),
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
        entities=entities,
    )
    return Update(update_id=next(_update_ids), message=message)


def callback_update(data: str, user: User | None = None, message_id: int = 1) -> Update:
    user = user or tg_user()
    message = Message(
        message_id=message_id,
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text="…",
    )
    query = CallbackQuery(
        id=str(next(_update_ids)), from_user=user, chat_instance="ci", message=message, data=data
    )
    return Update(update_id=next(_update_ids), callback_query=query)


def private_message_update(user: User, **content: Any) -> Update:
    """A message from ``user`` in their private chat with any content (``photo=``,
    ``document=``, ``forward_origin=``, ...), where ``message_update`` only sends text."""
    message = Message(
        message_id=next(_message_ids),
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        **content,
    )
    return Update(update_id=next(_update_ids), message=message)
