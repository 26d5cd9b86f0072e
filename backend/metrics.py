"""Prometheus metrics: one ``Metrics`` per process (per app in tests), served at ``/metrics``.

Each ``Metrics`` has its own ``CollectorRegistry`` -- nothing goes to prometheus_client's global
default registry, so several apps in one test run never share or collide on a series. Code that
counts takes the ``Metrics`` it is given (the delivery worker, the sweep job, the bot's
middleware) and counts nothing without one.

Counters and histograms are updated as things happen; the database figures (outbox depth by
status, running broadcasts' progress) are read when ``/metrics`` is scraped, by bounded queries:
the outbox counts stop at ``COUNT_CAP`` rows per status and the broadcasts at the
``MAX_BROADCASTS`` most recent running or paused ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from backend.models import Broadcast, Notification

log = logging.getLogger(__name__)

OUTBOX_STATUSES = ("pending", "sending", "held", "sent", "failed", "cancelled")
COUNT_CAP = 100_000
MAX_BROADCASTS = 20
SEND_RESULTS = ("ok", "429", "403", "400", "5xx", "network")
STEP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST.split(";")[0]  # text/plain


class Metrics:
    """The series Sanat exports, in a registry of their own."""

    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry()
        self.updates = Counter(
            "sanat_bot_updates",
            "Telegram updates the bot handled, by handler and result (ok, error, unhandled)",
            ["handler", "result"],
            registry=registry,
        )
        self.step_seconds = Histogram(
            "sanat_bot_step_seconds",
            "Time to handle one update (one dialog step), by handler",
            ["handler"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self.sends = Counter(
            "sanat_delivery_sends",
            "Sends to Telegram by the delivery worker by result: ok, 429, 403, 400, 5xx, network",
            ["result"],
            registry=registry,
        )
        for result in SEND_RESULTS:
            self.sends.labels(result)  # every result shows, at 0 until it happens
        self.paused_seconds = Counter(
            "sanat_delivery_paused_seconds",
            "Seconds of pause Telegram asked for with 429 answers (retry_after)",
            registry=registry,
        )
        self.store_failures = Counter(
            "sanat_delivery_store_failures",
            "Failed attempts of the delivery worker to store a send's outcome (each is retried "
            "while the claim's lease lasts)",
            registry=registry,
        )
        self.stores_abandoned = Counter(
            "sanat_delivery_stores_abandoned",
            "Outcomes the delivery worker gave up storing when the claim's lease ran out: each "
            "message is sent again",
            registry=registry,
        )
        self.sweep_seconds = Histogram(
            "sanat_sweep_duration_seconds",
            "Duration of the reminder sweep",
            buckets=SWEEP_BUCKETS,
            registry=registry,
        )
        self.sweep_rows = Counter(
            "sanat_sweep_rows", "Outbox rows the reminder sweep enqueued", registry=registry
        )
        self.outbox = Gauge(
            "sanat_outbox_notifications",
            f"Outbox rows by status (counted up to {COUNT_CAP} per status at scrape time)",
            ["status"],
            registry=registry,
        )
        self.broadcast = Gauge(
            "sanat_broadcast_notifications",
            "Outbox rows of running or paused broadcasts, by broadcast and status",
            ["broadcast", "status"],
            registry=registry,
        )
        self.pool_in_use = Gauge(
            "sanat_db_pool_connections_in_use",
            "Database connections checked out of the pool",
            registry=registry,
        )
        self._engine: AsyncEngine | None = None

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Show how many of ``engine``'s connections are in use at every scrape."""
        self.pool_in_use.set_function(lambda: pool_in_use(engine))

    def watch_database(self, engine: AsyncEngine) -> None:
        """Read the database figures (the pool, the outbox, broadcasts) at every scrape."""
        self._engine = engine
        self.watch_pool(engine)

    @contextmanager
    def time_sweep(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.sweep_seconds.observe(time.perf_counter() - started)

    async def refresh(self) -> None:
        """Read the outbox and broadcast figures (bounded queries)."""
        engine = self._engine
        if engine is None:
            return
        async with engine.connect() as connection:
            for status in OUTBOX_STATUSES:
                capped = (
                    select(col(Notification.id))
                    .where(col(Notification.status) == status)
                    .limit(COUNT_CAP)
                    .subquery()
                )
                count = await connection.scalar(select(func.count()).select_from(capped))
                self.outbox.labels(status).set(count or 0)
            running = (
                select(col(Broadcast.id))
                .where(col(Broadcast.status).in_(("running", "paused")))
                .order_by(col(Broadcast.id).desc())
                .limit(MAX_BROADCASTS)
                .scalar_subquery()
            )
            rows = await connection.execute(
                select(col(Notification.broadcast_id), col(Notification.status), func.count())
                .where(col(Notification.broadcast_id).in_(running))
                .group_by(col(Notification.broadcast_id), col(Notification.status))
            )
            self.broadcast.clear()  # finished broadcasts leave the series
            for broadcast_id, status, count in rows.all():
                self.broadcast.labels(str(broadcast_id), status).set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def pool_in_use(engine: AsyncEngine) -> float:
    checked_out = getattr(engine.pool, "checkedout", None)
    return float(checked_out()) if callable(checked_out) else 0.0


async def metrics_response(metrics: Metrics) -> web.Response:
    """The text exposition, database figures read now."""
    try:
        await metrics.refresh()
    except Exception:
        # The counters are still worth a scrape; the stale gauges say the database is down.
        log.warning("reading the database metrics failed", exc_info=True)
    return web.Response(body=metrics.render(), content_type=CONTENT_TYPE, charset="utf-8")
