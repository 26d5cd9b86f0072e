from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from testing.telegram import LocalBotAPI


@pytest.fixture
async def api() -> AsyncIterator[LocalBotAPI]:
    """The local Bot API server, for the worker to send to."""
    async with LocalBotAPI() as server:
        yield server
