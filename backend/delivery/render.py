"""Turning a notification's payload into the message one recipient reads, in their language.

Rendering happens when the message is sent, not when it is enqueued, so a teacher who switched
language in between gets the new one. Payloads are plain JSON:

* ``{"text": {"kk": "...", "ru": "..."}}`` — the text per language;
* ``{"template": "name", "params": {...}}`` — a template the renderer knows, filled per language;
* either may carry ``"buttons"``, rows of inline buttons
  ``{"text": {"kk": ..., "ru": ...}, "callback_data": ...}`` (callback_data: 64 bytes at most);
* and ``"parse_mode": "HTML"`` when the text is markup rather than plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from backend.models import Notification

DEFAULT_LANGUAGE = "ru"
# Which language to show when a text lacks the recipient's: the other official one first.
_FALLBACKS = {"kk": ("kk", "ru"), "ru": ("ru", "kk"), "en": ("en", "ru", "kk")}
MAX_CALLBACK_DATA_BYTES = 64  # Telegram's limit
PARSE_MODES = frozenset({"HTML", "MarkdownV2"})

Localized = Mapping[str, str]  # language → text


class RenderError(ValueError):
    """The payload cannot become a message; sending it would never succeed."""


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    reply_markup: dict[str, Any] | None = None  # Bot API JSON, e.g. {"inline_keyboard": [...]}
    parse_mode: str | None = None  # None: plain text, so user-supplied text is never markup


class Renderer(Protocol):
    def render(self, notification: Notification, language: str) -> RenderedMessage:
        """The message for this recipient; raises RenderError for a payload it cannot use."""
        ...


def pick(texts: object, language: str) -> str:
    """The text in ``language``, else in the other language, else RenderError."""
    if not isinstance(texts, Mapping) or not texts:
        raise RenderError("expected a text per language, e.g. {'kk': ..., 'ru': ...}")
    for candidate in _FALLBACKS.get(language, (language, DEFAULT_LANGUAGE)):
        text = texts.get(candidate)
        if isinstance(text, str) and text:
            return text
    raise RenderError(f"no text in {language!r} nor in a fallback language")


class DefaultRenderer:
    """Texts per language from the payload, or from ``templates`` (name → text per language,
    filled with ``str.format_map`` from the payload's params), plus inline buttons.
    """

    def __init__(self, templates: Mapping[str, Localized] | None = None) -> None:
        self._templates = dict(templates or {})

    def render(self, notification: Notification, language: str) -> RenderedMessage:
        payload = notification.payload
        parse_mode = payload.get("parse_mode")
        if parse_mode is not None and parse_mode not in PARSE_MODES:
            raise RenderError(f"unknown parse_mode {parse_mode!r}")
        return RenderedMessage(
            text=self._text(payload, language),
            reply_markup=_keyboard(payload.get("buttons"), language),
            parse_mode=parse_mode,
        )

    def _text(self, payload: Mapping[str, Any], language: str) -> str:
        if "text" in payload:
            return pick(payload["text"], language)
        name = payload.get("template")
        if not isinstance(name, str) or name not in self._templates:
            raise RenderError(f"neither a text nor a known template ({name!r})")
        params = payload.get("params") or {}
        if not isinstance(params, Mapping):
            raise RenderError("template params must be an object")
        try:
            return pick(self._templates[name], language).format_map(params)
        except (KeyError, IndexError, ValueError) as error:
            raise RenderError(f"template {name!r}: {error!r}") from error


def _keyboard(rows: object, language: str) -> dict[str, Any] | None:
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise RenderError("buttons must be a list of rows")
    return {"inline_keyboard": [[_button(button, language) for button in row] for row in rows]}


def _button(button: object, language: str) -> dict[str, str]:
    if not isinstance(button, Mapping):
        raise RenderError("a button must be an object")
    data = button.get("callback_data")
    if not isinstance(data, str) or not data:
        raise RenderError("a button needs callback_data")
    if len(data.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise RenderError(f"callback_data over {MAX_CALLBACK_DATA_BYTES} bytes: {data[:16]!r}…")
    return {"text": pick(button.get("text"), language), "callback_data": data}
