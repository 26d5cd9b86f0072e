"""Dialog (FSM) state that survives a restart: in the database, or in Redis when configured.

``SqlStorage`` keeps one ``dialog_state`` row per aiogram ``StorageKey``. Every write is a single
``INSERT … ON CONFLICT DO UPDATE`` in its own transaction, so several bot processes may write the
same key; the upsert also locks the row (PostgreSQL) or the database (SQLite) until the
transaction ends, which makes ``update_data``'s read-merge-write and the removal of an emptied
row atomic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool, upsert_insert
from backend.models.dialog_state import DIALOG_KEY_LENGTH, DialogState
from backend.models.types import utcnow
from backend.settings import Settings

REDIS_KEY_PREFIX = "sanat:fsm"

_Record = tuple[str | None, dict[str, Any]]


def storage_key(key: StorageKey) -> str:
    """The row key: every part of the ``StorageKey``, ``:``-separated, strings percent-quoted.

    ``1:2:3:-:-:default`` is bot 1, chat 2, user 3, no thread, no business connection.
    """
    parts = (
        str(key.bot_id),
        str(key.chat_id),
        str(key.user_id),
        "-" if key.thread_id is None else str(key.thread_id),
        "-" if key.business_connection_id is None else quote(key.business_connection_id, ""),
        quote(key.destiny, ""),
    )
    text = ":".join(parts)
    if len(text) > DIALOG_KEY_LENGTH:
        raise ValueError(f"storage key longer than {DIALOG_KEY_LENGTH} characters: {text[:40]}…")
    return text


def state_name(state: StateType) -> str | None:
    """A state given as a ``State`` or a string, as its name (what aiogram's storages store)."""
    return state.state if isinstance(state, State) else state


def _checked(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
        raise DataNotDictLikeError(msg)
    return dict(data)


class SqlStorage(BaseStorage):
    """aiogram storage over the ``dialog_state`` table (SQLite or PostgreSQL).

    The session pool belongs to the caller: ``close`` (which the dispatcher calls on shutdown)
    leaves the engine alone, since the backend may share it.
    """

    def __init__(self, session_pool: SessionPool) -> None:
        self.session_pool = session_pool

    async def close(self) -> None:
        pass

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state_name(state)
        await self._write(key, {"state": name}, lambda _state, data: (name, data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        new = _checked(data)
        await self._write(key, {"data": new}, lambda state, _data: (state, new))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._read(key))[1]

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        # Not BaseStorage's get-then-set: the merge happens under the upsert's lock.
        partial = _checked(data)
        merged: dict[str, Any] = {}

        def merge(state: str | None, current: dict[str, Any]) -> _Record:
            merged.update(current)
            merged.update(partial)
            return state, merged

        await self._write(key, {}, merge, rewrite=True)
        return merged.copy()

    async def _read(self, key: StorageKey) -> _Record:
        statement = select(DialogState.state, DialogState.data).where(
            col(DialogState.key) == storage_key(key)
        )
        async with self.session_pool() as session:
            row = (await session.exec(statement)).first()
        if row is None:
            return None, {}
        state, data = row
        return state, dict(data or {})

    async def _write(
        self,
        key: StorageKey,
        values: dict[str, Any],
        change: Callable[[str | None, dict[str, Any]], _Record],
        *,
        rewrite: bool = False,
    ) -> None:
        """Upsert ``values`` into the key's row, then apply ``change`` to what is stored.

        The row is deleted when it ends up with neither state nor data; with ``rewrite`` the
        row's data is replaced by what ``change`` returns (the upsert only locked the row).
        """
        row_key = storage_key(key)
        now = utcnow()
        async with self.session_pool() as session, session.begin():
            returned = await self._upsert(session, row_key, {**values, "updated_at": now})
            state, data = change(returned[0], dict(returned[1] or {}))
            if state is None and not data:
                await session.exec(delete(DialogState).where(col(DialogState.key) == row_key))
            elif rewrite:
                await session.exec(
                    update(DialogState)
                    .where(col(DialogState.key) == row_key)
                    .values(data=data, updated_at=now)
                )

    @staticmethod
    async def _upsert(session: AsyncSession, row_key: str, values: dict[str, Any]) -> _Record:
        """INSERT the row or UPDATE ``values`` in it; the stored state and data come back."""
        row = {"key": row_key, "state": None, "data": {}, **values}
        returning = (col(DialogState.state), col(DialogState.data))
        insert = upsert_insert(await session.connection(), DialogState).values(row)
        statement = insert.on_conflict_do_update(
            index_elements=["key"], set_={name: insert.excluded[name] for name in values}
        ).returning(*returning)
        state, data = (await session.exec(statement)).one()
        return state, data


def redis_key_builder(prefix: str = REDIS_KEY_PREFIX) -> DefaultKeyBuilder:
    """Redis keys made of every part of the ``StorageKey``, as ``SqlStorage``'s row keys are."""
    return DefaultKeyBuilder(
        prefix=prefix, with_bot_id=True, with_business_connection_id=True, with_destiny=True
    )


def create_storage(settings: Settings, session_pool: SessionPool) -> BaseStorage:
    """Redis when ``SANAT_REDIS_URL`` is set (several bot processes), else the database."""
    if settings.redis.url:
        return RedisStorage.from_url(settings.redis.url, key_builder=redis_key_builder())
    return SqlStorage(session_pool)
