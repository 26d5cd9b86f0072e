from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram import Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import api_tokens
from backend.db import SessionPool, create_engine, create_session_pool
from backend.rules.loader import Ruleset, default_ruleset
from backend.settings import DatabaseSettings, Settings
from bot.factory import create_dispatcher, create_i18n
from bot.storage import SqlStorage
from testing.databases import (
    POSTGRES_ENV,
    copy_sqlite_database,
    fresh_postgres_database,
    migrated_postgres_template,
    migrated_sqlite_template,
    service_url,
    sqlite_url,
)
from testing.mocked_bot import MockedBot
from tests.sanat_cli import SanatCli

ROOT = Path(__file__).resolve().parent.parent


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; ``database_url`` copies it."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("template") / "sanat.db")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per session (its name, unique to this
    process); ``database_url`` copies it. Dropped at the end of the session."""
    with migrated_postgres_template(service_url(POSTGRES_ENV)) as name:
        yield name


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to head: a copy of the session's SQLite template, then of the
    PostgreSQL one."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield copy_sqlite_database(template, tmp_path / "sanat.db")
    else:
        admin_url = service_url(POSTGRES_ENV)
        name: str = request.getfixturevalue("postgres_template")
        with fresh_postgres_database(admin_url, template=name) as url:
            yield url


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, for the migrations themselves: a SQLite file, then a fresh
    PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "sanat.db")
    else:
        with fresh_postgres_database(service_url(POSTGRES_ENV)) as url:
            yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head."""
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


@pytest.fixture
def sanat_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SanatCli:
    """The ``sanat`` command in this process (``.subprocess`` for the installed script), on a
    SQLite file under ``tmp_path`` that no command has migrated yet."""
    return SanatCli(monkeypatch, tmp_path)
