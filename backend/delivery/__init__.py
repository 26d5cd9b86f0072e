"""Notification delivery: the worker that drains the outbox (``Notification`` rows) to Telegram.

Enqueue with ``backend.delivery.enqueue`` (``dedupe_key`` makes that idempotent); a worker
renders each row in its recipient's current language and sends it within Telegram's limits. Run
it in the backend process (``create_delivery_worker(...).run(stop)``) or on its own with
``python -m backend.delivery``.
"""

from __future__ import annotations

from backend.db import SessionPool
from backend.delivery.messages import MessageCatalog
from backend.delivery.render import DefaultRenderer, RenderedMessage, Renderer, RenderError
from backend.delivery.shared_limits import create_send_limiter
from backend.delivery.telegram import build_bot
from backend.delivery.worker import DEFAULT_LEASE, Backoff, DeliveryWorker
from backend.metrics import Metrics
from backend.settings import Settings

__all__ = [
    "DEFAULT_LEASE",
    "Backoff",
    "DefaultRenderer",
    "DeliveryWorker",
    "RenderError",
    "RenderedMessage",
    "Renderer",
    "create_delivery_worker",
]


def create_delivery_worker(
    settings: Settings,
    session_pool: SessionPool,
    *,
    renderer: Renderer | None = None,
    metrics: Metrics | None = None,
) -> DeliveryWorker:
    """A worker with its own Bot (``SANAT_BOT_TOKEN``, ``SANAT_BOT_API_SERVER``) and the send
    limits ``SANAT_DELIVERY_LIMITER`` picks (shared with the other workers on Redis or
    PostgreSQL); close it with ``await worker.close()``.
    """
    return DeliveryWorker(
        settings=settings.delivery,
        session_pool=session_pool,
        bot=build_bot(settings.bot),
        renderer=renderer or DefaultRenderer(catalog=MessageCatalog(settings.locales_dir)),
        limiter=create_send_limiter(settings),
        metrics=metrics,
    )
