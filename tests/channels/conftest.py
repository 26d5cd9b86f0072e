from __future__ import annotations

import pytest
from aiogram import Dispatcher

from backend.db import SessionPool
from backend.rules.loader import Ruleset
from backend.settings import Settings
from bot.factory import create_dispatcher, create_i18n
from bot.storage import SqlStorage
from tests.mocked_bot import MockedBot


@pytest.fixture
def bot() -> MockedBot:
    return MockedBot()


@pytest.fixture
def dispatcher(settings: Settings, session_pool: SessionPool, ruleset: Ruleset) -> Dispatcher:
    return create_dispatcher(
        settings=settings,
        session_pool=session_pool,
        ruleset=ruleset,
        i18n=create_i18n(settings),
        storage=SqlStorage(session_pool),
    )
