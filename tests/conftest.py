from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import SessionPool, create_engine, create_session_pool
from backend.migrate import upgrade_async
from backend.rules.loader import Ruleset, default_ruleset
from backend.services import api_tokens
from backend.settings import DatabaseSettings, Settings
from bot.factory import create_dispatcher, create_i18n
from bot.storage import SqlStorage
from testing.databases import POSTGRES_ENV, fresh_postgres_database, service_url
from testing.mocked_bot import MockedBot

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sanat.db'}"
    else:
        with fresh_postgres_database(service_url(POSTGRES_ENV)) as url:
            yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head."""
    await upgrade_async(database_url)
    engine = create_engine(DatabaseSettings(url=database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def session_pool(engine: AsyncEngine) -> SessionPool:
    return create_session_pool(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        env="test",
        database=DatabaseSettings(url=database_url),
        locales_dir=ROOT / "locales",
    )


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return default_ruleset()


@pytest.fixture
async def admin_token(session_pool: SessionPool, settings: Settings) -> str:
    """A valid "admin" API token (plain text) in the test database."""
    created = await api_tokens.create_token(
        session_pool, name="tests", pepper=api_tokens.pepper_of(settings)
    )
    return created.token


@pytest.fixture
def auth_headers(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture
def bot() -> MockedBot:
    """Telegram's side: records every request, answers like the Bot API."""
    return MockedBot()


@pytest.fixture
def dispatcher(settings: Settings, session_pool: SessionPool, ruleset: Ruleset) -> Dispatcher:
    """The real dispatcher, as ``sanat bot`` builds it, with dialog state in the test database."""
    return create_dispatcher(
        settings=settings,
        session_pool=session_pool,
        ruleset=ruleset,
        i18n=create_i18n(settings),
        storage=SqlStorage(session_pool),  # dialog state in the real database, as in production
    )
