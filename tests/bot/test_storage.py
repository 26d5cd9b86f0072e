"""Dialog state storages: one behavioural suite for SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from backend.db import SessionPool, create_engine, create_session_pool
from backend.models import DialogState
from backend.settings import DatabaseSettings, RedisSettings, Settings
from bot.handlers.assessment.dialog import KEY as DIALOG_KEY
from bot.handlers.assessment.dialog import Dialog, as_data
from bot.storage import (
    SanatRedisStorage,
    SqlStorage,
    create_storage,
    redis_key_builder,
    set_state_and_data,
    storage_key,
    update_scope,
)
from testing.databases import REDIS_ENV, service_url

OpenStorage = Callable[[], BaseStorage]

KEY = StorageKey(bot_id=42, chat_id=1001, user_id=1001)
DATA = {"position": "teacher", "answer": "Иә, санат бар", "жыл": 2024, "nested": {"a": [1, 2]}}


class Assessment(StatesGroup):
    position = State()
    experience = State()


class StorageContract:
    """The behaviour every dialog storage must show; subclasses provide ``open_storage``."""

    @pytest.fixture
    def storage(self, open_storage: OpenStorage) -> BaseStorage:
        return open_storage()

    async def test_an_unknown_key_has_no_state_and_no_data(self, storage: BaseStorage) -> None:
        assert await storage.get_state(KEY) is None
        assert await storage.get_data(KEY) == {}
        assert await storage.get_value(KEY, "position", "none") == "none"

    async def test_state_and_data_round_trip(self, storage: BaseStorage) -> None:
        await storage.set_state(KEY, Assessment.position)
        assert await storage.get_state(KEY) == "Assessment:position"
        await storage.set_state(KEY, "Assessment:experience")
        assert await storage.get_state(KEY) == Assessment.experience.state
        await storage.set_data(KEY, DATA)
        assert await storage.get_data(KEY) == DATA
        assert await storage.get_value(KEY, "answer") == "Иә, санат бар"
        assert await storage.get_state(KEY) == "Assessment:experience"  # data left state alone
        await storage.set_data(KEY, {"жыл": 2025})  # set_data replaces
        assert await storage.get_data(KEY) == {"жыл": 2025}

    async def test_returned_data_is_a_copy(self, storage: BaseStorage) -> None:
        await storage.set_data(KEY, {"a": 1})
        (await storage.get_data(KEY))["a"] = 2
        assert await storage.get_data(KEY) == {"a": 1}

    async def test_data_must_be_a_dict(self, storage: BaseStorage) -> None:
        with pytest.raises(DataNotDictLikeError):
            await storage.set_data(KEY, [("a", 1)])  # type: ignore[arg-type]

    async def test_update_data_merges(self, storage: BaseStorage) -> None:
        assert await storage.update_data(KEY, {"a": 1}) == {"a": 1}  # on an unknown key too
        await storage.set_data(KEY, {"a": 1, "b": "бір"})
        merged = await storage.update_data(KEY, {"b": "екі", "c": None})
        assert merged == {"a": 1, "b": "екі", "c": None}
        assert await storage.get_data(KEY) == merged

    async def test_keys_are_isolated(self, storage: BaseStorage) -> None:
        others = [
            StorageKey(bot_id=42, chat_id=1001, user_id=1002),  # another user, same chat
            StorageKey(bot_id=42, chat_id=-100500, user_id=1001),  # the same user in a group
            StorageKey(bot_id=42, chat_id=1001, user_id=1001, destiny="broadcast"),
            StorageKey(bot_id=42, chat_id=-100500, user_id=1001, thread_id=7),
            StorageKey(bot_id=43, chat_id=1001, user_id=1001),  # another bot
            StorageKey(bot_id=42, chat_id=1001, user_id=1001, business_connection_id="bc:1"),
        ]
        keys = [KEY, *others]
        for number, key in enumerate(keys):
            await storage.set_state(key, f"Step:{number}")
            await storage.set_data(key, {"n": number})
        for number, key in enumerate(keys):
            assert await storage.get_state(key) == f"Step:{number}"
            assert await storage.get_data(key) == {"n": number}
        await storage.update_data(KEY, {"extra": True})
        await FSMContext(storage, others[0]).clear()
        assert await storage.get_data(KEY) == {"n": 0, "extra": True}
        assert await storage.get_state(others[0]) is None
        for number, key in enumerate(others[1:], start=2):
            assert await storage.get_state(key) == f"Step:{number}"

    async def test_a_restarted_bot_continues_at_the_same_step(
        self, open_storage: OpenStorage
    ) -> None:
        before = open_storage()
        context = FSMContext(before, KEY)
        await context.set_state(Assessment.experience)
        await context.update_data(position="тәрбиеші")
        await before.close()
        after = FSMContext(open_storage(), KEY)  # a new process: new engine or Redis client
        assert await after.get_state() == Assessment.experience.state
        assert await after.get_data() == {"position": "тәрбиеші"}

    async def test_state_and_data_in_one_write(self, storage: BaseStorage) -> None:
        context = FSMContext(storage, KEY)
        await set_state_and_data(context, Assessment.experience, DATA)
        assert (await context.get_state(), await context.get_data()) == (
            "Assessment:experience",
            DATA,
        )
        await set_state_and_data(context, None, {})
        assert (await context.get_state(), await context.get_data()) == (None, {})

    async def test_an_update_reads_a_key_once_and_sees_its_own_writes(
        self, open_storage: OpenStorage
    ) -> None:
        ours, other = open_storage(), open_storage()  # two bot processes
        await ours.set_state(KEY, Assessment.position)
        with update_scope():
            assert await ours.get_state(KEY) == "Assessment:position"
            await other.set_state(KEY, Assessment.experience)
            assert await ours.get_state(KEY) == "Assessment:position"  # read once per update
            assert await ours.get_data(KEY) == {}
            await set_state_and_data(FSMContext(ours, KEY), Assessment.experience, DATA)
            data = await ours.get_data(KEY)
            data["nested"]["a"].append(3)  # the caller's own copy
            assert await ours.get_data(KEY) == DATA
            await ours.update_data(KEY, {"extra": 1})
            assert await ours.get_data(KEY) == {**DATA, "extra": 1}
            await ours.set_data(KEY, {"only": True})
            assert await ours.get_data(KEY) == {"only": True}
        assert await other.get_data(KEY) == {"only": True}  # every write went through
        await other.set_state(KEY, Assessment.position)
        assert await ours.get_state(KEY) == "Assessment:position"  # outside an update: afresh
        with update_scope():
            assert await ours.get_state(KEY) == "Assessment:position"  # a new update: afresh

    async def test_clearing_removes_state_and_data(self, storage: BaseStorage) -> None:
        context = FSMContext(storage, KEY)
        await context.set_state(Assessment.position)
        await context.set_data(DATA)
        await context.set_state(None)
        assert await context.get_state() is None
        assert await context.get_data() == DATA  # state cleared, data kept
        await context.set_state(Assessment.position)
        await context.set_data({})
        assert await context.get_state() == "Assessment:position"  # data cleared, state kept
        await context.set_data(DATA)
        await context.clear()
        assert await context.get_state() is None
        assert await context.get_data() == {}

    async def test_concurrent_writes_to_one_key_do_not_fail(self, storage: BaseStorage) -> None:
        written = [{"n": number, "text": "ә" * number} for number in range(12)]
        await asyncio.gather(*(storage.set_data(KEY, data) for data in written))
        assert await storage.get_data(KEY) in written
        states = [f"Step:{number}" for number in range(12)]
        await asyncio.gather(*(storage.set_state(KEY, state) for state in states))
        assert await storage.get_state(KEY) in states
        await asyncio.gather(*(storage.update_data(KEY, {"n": -1}) for _ in range(6)))
        assert (await storage.get_data(KEY))["n"] == -1


class TestSqlStorage(StorageContract):
    @pytest.fixture
    async def open_storage(
        self, database_url: str, engine: AsyncEngine
    ) -> AsyncIterator[OpenStorage]:
        engines: list[AsyncEngine] = []

        def open_storage() -> BaseStorage:
            engines.append(create_engine(DatabaseSettings(url=database_url)))
            return SqlStorage(create_session_pool(engines[-1]))

        yield open_storage
        for opened in engines:
            await opened.dispose()

    async def _rows(self, session_pool: SessionPool) -> list[str]:
        async with session_pool() as session:
            return list((await session.exec(select(DialogState.key))).all())

    async def test_a_cleared_key_leaves_no_row(
        self, storage: BaseStorage, session_pool: SessionPool
    ) -> None:
        other = StorageKey(bot_id=42, chat_id=1001, user_id=1001, destiny="broadcast")
        await storage.set_state(KEY, Assessment.position)
        await storage.set_data(other, {"a": 1})
        assert sorted(await self._rows(session_pool)) == [
            "42:1001:1001:-:-:broadcast",
            "42:1001:1001:-:-:default",
        ]
        await FSMContext(storage, KEY).clear()
        await storage.update_data(other, {"a": 2})
        assert await self._rows(session_pool) == ["42:1001:1001:-:-:broadcast"]
        await storage.set_data(other, {})
        await storage.update_data(KEY, {})  # merging nothing into nothing stores nothing
        assert await self._rows(session_pool) == []

    async def test_concurrent_update_data_loses_no_update(self, storage: BaseStorage) -> None:
        # Unlike BaseStorage's get-then-set, the merge runs under the upsert's row lock.
        await asyncio.gather(*(storage.update_data(KEY, {f"k{n}": n}) for n in range(20)))
        assert await storage.get_data(KEY) == {f"k{n}": n for n in range(20)}

    async def test_the_row_records_the_write(
        self, storage: BaseStorage, session_pool: SessionPool
    ) -> None:
        await storage.set_state(KEY, Assessment.position)
        await storage.update_data(KEY, {"answer": "Иә"})
        async with session_pool() as session:
            row = (await session.exec(select(DialogState))).one()
            count = (await session.exec(select(func.count()).select_from(DialogState))).one()
        assert (row.state, row.data, count) == ("Assessment:position", {"answer": "Иә"}, 1)
        assert row.updated_at.tzinfo is not None


class TestRedisStorage(StorageContract):
    pytestmark = pytest.mark.redis

    @pytest.fixture
    async def open_storage(self) -> AsyncIterator[OpenStorage]:
        url = service_url(REDIS_ENV)
        prefix = f"sanat-test:{uuid.uuid4().hex}"
        storages: list[RedisStorage] = []

        def open_storage() -> BaseStorage:
            storages.append(SanatRedisStorage.from_url(url, key_builder=redis_key_builder(prefix)))
            return storages[-1]

        yield open_storage
        for storage in storages:
            await storage.close()
        client = Redis.from_url(url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


def test_storage_keys_name_every_part() -> None:
    assert storage_key(KEY) == "42:1001:1001:-:-:default"
    full = StorageKey(
        bot_id=1, chat_id=-100, user_id=2, thread_id=3, business_connection_id="a:b", destiny="d"
    )
    assert storage_key(full) == "1:-100:2:3:a%3Ab:d"
    with pytest.raises(ValueError, match="longer than"):
        storage_key(StorageKey(bot_id=1, chat_id=1, user_id=1, destiny="x" * 200))


async def test_create_storage_picks_redis_when_configured(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'sanat.db'}"))
    session_pool = create_session_pool(engine)
    database = DatabaseSettings(url=str(engine.url))

    plain = Settings(_env_file=None, env="test", database=database, redis=RedisSettings())
    sql = create_storage(plain, session_pool)
    assert isinstance(sql, SqlStorage)
    assert sql.session_pool is session_pool

    redis_settings = RedisSettings(url="redis://127.0.0.1:6379/0")
    shared = Settings(_env_file=None, env="test", database=database, redis=redis_settings)
    redis = create_storage(shared, session_pool)  # connects lazily: no server needed here
    assert isinstance(redis, SanatRedisStorage)
    assert isinstance(redis.key_builder, DefaultKeyBuilder)
    assert redis.key_builder.with_destiny
    assert redis.key_builder.with_bot_id
    await redis.close()
    await engine.dispose()


def test_the_dialog_is_stored_as_asdict_gives_it() -> None:
    # ``as_data`` spells the fields out (asdict's deep copy cost a dialog step): a new field
    # must be added there too.
    dialog = Dialog.new(
        org_kind="school",
        position="2.1",
        answers={"education": "higher", "experience": {"position": 5.5}, "items": ["a", "b"]},
        history=["education"],
        step=3,
        checklist=["a", "-b"],
        editing="education",
        page=1,
        assessment_id=7,
    )
    stored = as_data(dialog)
    assert stored == {DIALOG_KEY: asdict(dialog)}
    stored[DIALOG_KEY]["answers"]["experience"]["position"] = 0  # a copy, not the dialog's own
    assert dialog.answers["experience"] == {"position": 5.5}
