"""Dialog (FSM) state that survives a restart: in the database, or in Redis when configured.

``SqlStorage`` keeps one ``dialog_state`` row per aiogram ``StorageKey``. Every write is a single
``INSERT … ON CONFLICT DO UPDATE`` in its own transaction, so several bot processes may write the
same key; the upsert also locks the row (PostgreSQL) or the database (SQLite) until the
transaction ends, which makes ``update_data``'s read-merge-write and the removal of an emptied
row atomic.

Within one update (``SanatDispatcher.feed_update`` opens an ``update_scope``) both storages read a
key's state and data once and remember what they wrote, so the dialog's usual get_state (aiogram's
FSM middleware), get_data (the handler), set_data and set_state cost one read and, through
``set_record``, one write. Every write still goes to the store at once: a bot killed after a step
resumes at that step. Nothing is remembered from one update to the next, since the next update of
the same person may be handled by another bot process.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, cast
from urllib.parse import quote

from aiogram import Bot, Dispatcher
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Update
from sqlalchemy import bindparam
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.db import SessionPool, dialect_insert
from backend.models.dialog_state import DIALOG_KEY_LENGTH, DialogState
from backend.models.types import utcnow
from backend.settings import Settings

REDIS_KEY_PREFIX = "sanat:fsm"

_Record = tuple[str | None, dict[str, Any]]


class _UpdateScope:
    """What the storages read and wrote during one update:
    (storage, key) -> (state, data as JSON text)."""

    __slots__ = ("open", "records")

    def __init__(self) -> None:
        self.open = True
        self.records: dict[tuple[int, str], tuple[str | None, str | None]] = {}


_SCOPE: ContextVar[_UpdateScope | None] = ContextVar("sanat_fsm_update_scope", default=None)


@contextlib.contextmanager
def update_scope() -> Iterator[None]:
    """Let the storages remember a key's record until the update is handled."""
    scope = _UpdateScope()
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        scope.open = False  # a task the update spawned keeps the context, not the cache
        _SCOPE.reset(token)


def _scope() -> _UpdateScope | None:
    scope = _SCOPE.get()
    return scope if scope is not None and scope.open else None


def _remember(owner: BaseStorage, key: str, state: str | None, data_text: str | None) -> None:
    scope = _scope()
    if scope is not None:
        scope.records[id(owner), key] = (state, data_text)


def _forget(owner: BaseStorage, key: str) -> None:
    scope = _scope()
    if scope is not None:
        scope.records.pop((id(owner), key), None)


def _recalled(owner: BaseStorage, key: str) -> tuple[str | None, str | None] | None:
    scope = _scope()
    return None if scope is None else scope.records.get((id(owner), key))


def _data_of(text: str | None) -> dict[str, Any]:
    """Data remembered as JSON text: every read gets its own objects, as from the store."""
    return {} if text is None else cast(dict[str, Any], json.loads(text))


class SanatDispatcher(Dispatcher):
    """aiogram's dispatcher, with an ``update_scope`` around every update."""

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        with update_scope():
            return await super().feed_update(bot, update, **kwargs)


async def set_state_and_data(
    context: FSMContext, state: StateType, data: Mapping[str, Any]
) -> None:
    """``context.set_data(data)`` then ``context.set_state(state)``, in one write where the
    storage can (``set_record``)."""
    storage = context.storage
    if isinstance(storage, SqlStorage | SanatRedisStorage):
        await storage.set_record(context.key, state, data)
        return
    await context.set_data(data)
    await context.set_state(state)


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


# Built once with the key as a bound parameter: no statement to build per update.
_STATE_ROW = select(DialogState.state, DialogState.data).where(
    col(DialogState.key) == bindparam("key")
)


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

    async def set_record(self, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
        """``set_data`` and ``set_state`` in one write."""
        name, new = state_name(state), _checked(data)
        await self._write(key, {"state": name, "data": new}, lambda _state, _data: (name, new))

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
        row_key = storage_key(key)
        recalled = _recalled(self, row_key)
        if recalled is not None:
            return recalled[0], _data_of(recalled[1])
        async with self.session_pool() as session:
            row = (await session.exec(_STATE_ROW, params={"key": row_key})).first()
        state, data = (None, {}) if row is None else (row[0], dict(row[1] or {}))
        _remember(self, row_key, state, json.dumps(data))
        return state, data

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
        _forget(self, row_key)  # remembered again once the write is committed
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
        _remember(self, row_key, state, json.dumps(data))

    @staticmethod
    async def _upsert(session: AsyncSession, row_key: str, values: dict[str, Any]) -> _Record:
        """INSERT the row or UPDATE ``values`` in it; the stored state and data come back."""
        connection = await session.connection()
        statement = _upsert_statement(connection.dialect.name, tuple(sorted(values)))
        row = {"key": row_key, "state": None, "data": {}, **values}
        state, data = (await session.exec(statement, params=row)).one()
        return state, data


@functools.cache
def _upsert_statement(dialect: str, updated: tuple[str, ...]) -> Any:
    """The upsert that sets ``updated`` on conflict, built once per dialect and column set with
    every value a bound parameter (building it per write was a fifth of the store's cost)."""
    columns = ("key", "state", "data", "updated_at")
    values: dict[str, Any] = {name: bindparam(name) for name in columns}
    insert = dialect_insert(dialect, DialogState).values(values)
    return insert.on_conflict_do_update(
        index_elements=["key"], set_={name: insert.excluded[name] for name in updated}
    ).returning(col(DialogState.state), col(DialogState.data))


def redis_key_builder(prefix: str = REDIS_KEY_PREFIX) -> DefaultKeyBuilder:
    """Redis keys made of every part of the ``StorageKey``, as ``SqlStorage``'s row keys are."""
    return DefaultKeyBuilder(
        prefix=prefix, with_bot_id=True, with_business_connection_id=True, with_destiny=True
    )


class SanatRedisStorage(RedisStorage):
    """aiogram's Redis storage (same keys and values) that reads a key's state and data in one
    ``MGET`` per update and writes both in one round trip (``set_record``)."""

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._recall(key))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return _data_of((await self._recall(key))[1])

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.set_record(key, state, None)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        state_key = self.key_builder.build(key, "state")
        recalled = _recalled(self, state_key)
        text = self.json_dumps(data) if data else None
        _forget(self, state_key)
        if text is None:
            await self.redis.delete(self.key_builder.build(key, "data"))
        else:
            await self.redis.set(self.key_builder.build(key, "data"), text, ex=self.data_ttl)
        if recalled is not None:
            _remember(self, state_key, recalled[0], text)

    async def set_record(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any] | None
    ) -> None:
        """``set_data(data)`` (unless None) and ``set_state(state)`` in one round trip."""
        if data is not None and not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        state_key = self.key_builder.build(key, "state")
        data_key = self.key_builder.build(key, "data")
        name = state_name(state)
        recalled = _recalled(self, state_key)
        text = self.json_dumps(data) if data else None
        _forget(self, state_key)
        async with self.redis.pipeline(transaction=False) as pipe:
            if data is not None:
                if text is None:
                    pipe.delete(data_key)
                else:
                    pipe.set(data_key, text, ex=self.data_ttl)
            if name is None:
                pipe.delete(state_key)
            else:
                pipe.set(state_key, name, ex=self.state_ttl)
            await pipe.execute()
        if data is not None:
            _remember(self, state_key, name, text)
        elif recalled is not None:
            _remember(self, state_key, name, recalled[1])

    async def _recall(self, key: StorageKey) -> tuple[str | None, str | None]:
        state_key = self.key_builder.build(key, "state")
        recalled = _recalled(self, state_key)
        if recalled is not None:
            return recalled
        raw_state, raw_data = await self.redis.mget(state_key, self.key_builder.build(key, "data"))
        state = raw_state.decode() if isinstance(raw_state, bytes) else raw_state
        text = raw_data.decode() if isinstance(raw_data, bytes) else raw_data
        _remember(self, state_key, state, text)
        return state, text


def create_storage(settings: Settings, session_pool: SessionPool) -> BaseStorage:
    """Redis when ``SANAT_REDIS_URL`` is set (several bot processes), else the database."""
    if settings.redis.url:
        return SanatRedisStorage.from_url(settings.redis.url, key_builder=redis_key_builder())
    return SqlStorage(session_pool)
