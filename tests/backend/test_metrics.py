"""``/metrics`` and ``/readyz`` on the backend, ``/metrics`` on a webhook bot process: scraped
over real HTTP after real work (the delivery worker sending to the local Bot API server, a
reminder sweep, a dialog update through the real dispatcher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.courses.service import timed_sweep
from backend.db import SessionPool, create_engine
from backend.metrics import Metrics
from backend.rules.loader import Ruleset
from backend.settings import BotSettings, DatabaseSettings, RedisSettings, Settings
from backend.web.app import create_app
from bot.factory import create_dispatcher, create_i18n
from bot.runner import create_webhook_app
from testing.broadcast_setup import BroadcastSetup
from testing.mocked_bot import MockedBot
from testing.telegram import LocalBotAPI
from tests.broadcasts.helpers import admin
from tests.courses.helpers import add_course, local, new_teacher
from tests.delivery.support import add_users, drained, enqueue, make_worker, running, text

Client = TestClient[web.Request, web.Application]
Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(body: str) -> Series:
    """Every sample: (name, sorted labels) → value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


async def scrape(client: Client) -> Series:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return parse(await response.text())


@pytest.fixture
async def app_client(
    settings: Settings, engine: AsyncEngine, ruleset: Ruleset
) -> AsyncIterator[tuple[Client, Metrics]]:
    metrics = Metrics()
    app = create_app(settings, engine=engine, ruleset=ruleset, metrics=metrics)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client, metrics


async def test_metrics_after_sending_and_a_sweep(
    app_client: tuple[Client, Metrics],
    session_pool: SessionPool,
    settings: Settings,
    ruleset: Ruleset,
) -> None:
    client, metrics = app_client
    before = await scrape(client)
    assert before[("sanat_delivery_sends_total", (("result", "ok"),))] == 0
    assert before[("sanat_outbox_notifications", (("status", "pending"),))] == 0

    async with LocalBotAPI() as api:
        chats = [8_001, 8_002, 8_003, 8_004]
        users = await add_users(session_pool, api, chats)
        api.block(8_003)
        api.inject(429, chat_id=8_004, retry_after=1)
        await enqueue(session_pool, [(users[c], c, f"m{c}", text(f"m{c}")) for c in chats])
        pending = await scrape(client)
        worker = make_worker(api, session_pool, metrics=metrics)
        async with running(worker):
            await drained(session_pool)
    after = await scrape(client)

    assert pending[("sanat_outbox_notifications", (("status", "pending"),))] == 4
    sends = {
        result: after[("sanat_delivery_sends_total", (("result", result),))]
        for result in ("ok", "429", "403", "5xx", "network")
    }
    assert sends == {"ok": 3, "429": 1, "403": 1, "5xx": 0, "network": 0}
    assert after[("sanat_delivery_paused_seconds_total", ())] == 1
    assert after[("sanat_outbox_notifications", (("status", "sent"),))] == 3
    assert after[("sanat_outbox_notifications", (("status", "failed"),))] == 1
    assert after[("sanat_outbox_notifications", (("status", "pending"),))] == 0
    assert after[("sanat_db_pool_connections_in_use", ())] >= 0

    teacher = await new_teacher(session_pool, 8_100)
    await add_course(session_pool, teacher, completed_on=local(2023, 5, 10).date())
    inserted = await timed_sweep(session_pool, settings, ruleset, local(2026, 5, 10), metrics)
    swept = await scrape(client)
    assert inserted == 1
    assert swept[("sanat_sweep_duration_seconds_count", ())] == 1
    assert swept[("sanat_sweep_duration_seconds_sum", ())] > 0
    assert swept[("sanat_sweep_rows_total", ())] == 1
    assert swept[("sanat_outbox_notifications", (("status", "pending"),))] == 1


async def test_two_apps_keep_their_own_series(
    settings: Settings, engine: AsyncEngine, ruleset: Ruleset
) -> None:
    first, second = Metrics(), Metrics()
    first.sends.labels("ok").inc()
    for metrics in (first, second):
        create_app(settings, engine=engine, ruleset=ruleset, metrics=metrics)
    assert parse(first.render().decode())[("sanat_delivery_sends_total", (("result", "ok"),))] == 1
    assert (
        parse(second.render().decode())[("sanat_delivery_sends_total", (("result", "ok"),))] == 0
    )


async def readiness(settings: Settings, url: str, ruleset: Ruleset) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    engine = create_engine(DatabaseSettings(url=url))
    try:
        app = create_app(settings, engine=engine, ruleset=ruleset)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            response = await client.get("/readyz")
            return response.status, response.content_type, await response.json()
    finally:
        await engine.dispose()


async def test_ready_on_a_migrated_database(
    settings: Settings, database_url: str, ruleset: Ruleset
) -> None:
    status, content_type, body = await readiness(settings, database_url, ruleset)
    assert (status, content_type) == (200, "application/json")
    assert body == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "not configured"},
    }


async def test_not_ready_on_an_unmigrated_database(
    empty_database_url: str, ruleset: Ruleset
) -> None:
    # Not the ``settings`` fixture: it brings a migrated database to the same SQLite path.
    settings = Settings(
        _env_file=None, env="test", database=DatabaseSettings(url=empty_database_url)
    )
    status, content_type, body = await readiness(settings, empty_database_url, ruleset)
    assert (status, content_type) == (503, "application/problem+json")
    assert body["detail"] == "not ready: migrations"
    assert body["checks"]["migrations"].startswith("at None, head is ")


async def test_not_ready_when_redis_is_unreachable(
    settings: Settings, database_url: str, ruleset: Ruleset
) -> None:
    unreachable = settings.model_copy(
        update={"redis": RedisSettings(url="redis://127.0.0.1:1/0")}  # nothing listens on 1
    )
    status, content_type, body = await readiness(unreachable, database_url, ruleset)
    assert (status, content_type) == (503, "application/problem+json")
    assert body["detail"] == "not ready: redis"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unreachable")


@pytest.mark.redis
async def test_ready_with_redis(settings: Settings, database_url: str, ruleset: Ruleset) -> None:
    from testing.databases import REDIS_ENV, service_url

    with_redis = settings.model_copy(update={"redis": RedisSettings(url=service_url(REDIS_ENV))})
    status, _, body = await readiness(with_redis, database_url, ruleset)
    assert (status, body["checks"]["redis"]) == (200, "ok")


async def test_a_webhook_bot_shows_updates_and_step_times(
    settings: Settings,
    session_pool: SessionPool,
    ruleset: Ruleset,
    bot: MockedBot,
    tmp_path: Path,
) -> None:
    hooked = settings.model_copy(
        update={
            "bot": BotSettings(
                mode="webhook", webhook_url="https://example.invalid", webhook_secret="s3cret"
            )
        }
    )
    metrics = Metrics()
    dp = create_dispatcher(
        settings=hooked,
        session_pool=session_pool,
        ruleset=ruleset,
        i18n=create_i18n(hooked),
        metrics=metrics,
    )
    app = create_webhook_app(hooked, dp, bot, metrics)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"},
            "text": "/help",
        },
    }
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        answer = await client.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert answer.status == 200
        for _ in range(250):  # aiogram handles webhook updates in the background
            series = await scrape(client)
            if series.get(("sanat_bot_step_seconds_count", (("handler", "start.cmd_help"),))):
                break
            await asyncio.sleep(0.02)
    assert (
        series[("sanat_bot_updates_total", (("handler", "start.cmd_help"), ("result", "ok")))] == 1
    )
    assert series[("sanat_bot_step_seconds_sum", (("handler", "start.cmd_help"),))] > 0


async def test_a_running_broadcast_shows_its_progress(
    app_client: tuple[Client, Metrics], session_pool: SessionPool
) -> None:
    client, _ = app_client
    setup = BroadcastSetup(
        first_telegram_id=9_100_000,
        languages=("kk", "ru"),
        region="almaty",
        texts={"kk": "Сәлем, {name}", "ru": "Привет, {name}"},
    )
    async with LocalBotAPI() as api:
        await setup.add_recipients(session_pool, api, 5)
    broadcast_id, recipients = await setup.launch(session_pool, await admin(session_pool))
    series = await scrape(client)
    labels = (("broadcast", str(broadcast_id)), ("status", "pending"))
    assert series[("sanat_broadcast_notifications", labels)] == recipients == 5
