"""What a recipient reads: an outbox payload rendered by the delivery worker's renderer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.delivery.render import DefaultRenderer, RenderedMessage
from backend.models import Notification

LANGUAGES = ("kk", "ru", "en")


def rendered_message(payload: Mapping[str, Any], language: str) -> RenderedMessage:
    notification = Notification(chat_id=1, kind="test", dedupe_key="k", payload=dict(payload))
    return DefaultRenderer().render(notification, language)


def rendered(payload: Mapping[str, Any], language: str) -> str:
    """The text (or caption) of the payload in ``language``."""
    return rendered_message(payload, language).text


def button_labels(payload: Mapping[str, Any], language: str) -> list[str]:
    markup = rendered_message(payload, language).reply_markup or {"inline_keyboard": []}
    return [button["text"] for row in markup["inline_keyboard"] for button in row]
