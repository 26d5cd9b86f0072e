"""Turning a notification's payload into the message one recipient reads, in their language.

Rendering happens when the message is sent, not when it is enqueued, so a teacher who switched
language in between gets the new one. Payloads are plain JSON:

* ``{"text": {"kk": "...", "ru": "..."}}`` — the text per language;
* ``{"message_key": msgid, "params": {...}}`` — a message of the ``locales/`` catalogs, in the
  recipient's language, ``{name}`` placeholders filled from ``params`` (backend.delivery.messages);
* ``{"parts": [PART, ...]}`` — lines joined by a newline, each a message key (as above) or a
  plain string that is not translated (a name, a date);
* a message key's parameter may itself be a message key (translated in the same language) or a
  mapping language → text (data that exists per language, e.g. a citation);
* ``{"template": "name", "params": {...}}`` — a template the renderer knows, filled per language;
* ``{"message": {"kk": VARIANT, "ru": VARIANT}, "params": {...}}`` — a curator's broadcast,
  one variant per language (the recipient's, else the other one), ``{name}``-style placeholders
  of its text or caption filled from ``params`` by a safe formatter. A VARIANT is
  ``{"type": "text", "text", "parse_mode"}``, ``{"type": "photo" | "document", "file_id",
  "caption", "parse_mode"}`` or ``{"type": "copy", "from_chat_id", "message_id"}`` (a channel
  post relayed with copyMessage);
* ``{"document": {"filename": str, "content_b64": str}, "text": {lang: caption}}`` — a file the
  backend made (a digest, a report), uploaded with its caption;
* ``{"edit": {"message_id": int}, "text": {lang: text}}`` — a new text (and buttons) for a
  message the bot sent in that chat before, e.g. a broadcast's progress message;
* any of them may carry ``"buttons"``, rows of inline buttons
  ``{"text": {"kk": ..., "ru": ...}, "callback_data": ...}`` or, instead of ``text``, a message
  key ``{"message_key": ..., "params": ..., "callback_data": ...}`` (callback_data: 64 bytes at
  most); a document's caption may be a message key or ``parts`` too;
* and ``"parse_mode": "HTML"`` when the text is markup rather than plain text.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from backend.delivery.messages import MessageCatalog
from backend.models import Notification

DEFAULT_LANGUAGE = "ru"
# Which language to show when a text lacks the recipient's: the other official one first.
_FALLBACKS = {"kk": ("kk", "ru"), "ru": ("ru", "kk"), "en": ("en", "ru", "kk")}
MAX_CALLBACK_DATA_BYTES = 64  # Telegram's limit
PARSE_MODES = frozenset({"HTML", "MarkdownV2"})
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the cloud Bot API's upload limit
# A placeholder is a bare name in braces; anything else in braces is the curator's own text.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_TEXT = 4096  # Telegram's limit of a message's text
MAX_NESTING = 4  # message keys inside parameters, bounded
TEXT_KEYS = ("text", "message_key", "parts")

MessageKind = Literal["text", "photo", "document", "copy", "upload", "edit"]

Localized = Mapping[str, str]  # language → text
Part = str | Mapping[str, Any]  # a line of a "parts" payload: plain text or a message key


class RenderError(ValueError):
    """The payload cannot become a message; sending it would never succeed."""


@dataclass(frozen=True)
class Upload:
    """A file sent as part of the request rather than by file_id."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class RenderedMessage:
    """What to send: by ``kind``, sendMessage (``text``), sendPhoto/sendDocument (``file_id``,
    ``text`` as the caption), copyMessage (``from_chat_id``, ``message_id``), sendDocument with
    ``upload`` or editMessageText (``message_id``, ``text``).
    """

    text: str  # the text, or a media message's caption ("" for none)
    reply_markup: dict[str, Any] | None = None  # Bot API JSON, e.g. {"inline_keyboard": [...]}
    parse_mode: str | None = None  # None: plain text, so user-supplied text is never markup
    kind: MessageKind = "text"
    file_id: str | None = None
    from_chat_id: int | None = None
    message_id: int | None = None
    upload: Upload | None = None


class Renderer(Protocol):
    def render(self, notification: Notification, language: str) -> RenderedMessage:
        """The message for this recipient; raises RenderError for a payload it cannot use."""
        ...


def pick(texts: object, language: str) -> str:
    """The text in ``language``, else in the other language, else RenderError."""
    if not isinstance(texts, Mapping) or not texts:
        raise RenderError("expected a text per language, e.g. {'kk': ..., 'ru': ...}")
    for candidate in _fallbacks(language):
        text = texts.get(candidate)
        if isinstance(text, str) and text:
            return text
    raise RenderError(f"no text in {language!r} nor in a fallback language")


def pick_variant(variants: object, language: str) -> Mapping[str, Any]:
    """The message variant in ``language``, else in the other language, else RenderError."""
    if not isinstance(variants, Mapping) or not variants:
        raise RenderError("expected a message variant per language, e.g. {'kk': {...}}")
    for candidate in _fallbacks(language):
        variant = variants.get(candidate)
        if isinstance(variant, Mapping) and variant:
            return variant
    raise RenderError(f"no message variant in {language!r} nor in a fallback language")


def fill(text: str, params: Mapping[str, Any], *, html_mode: bool = False) -> str:
    """``{name}``-style placeholders replaced by ``params``; everything else left as typed.

    Unlike ``str.format`` this never fails and never reaches attributes or items: ``{0}``,
    ``{a.b}``, ``{x[0]}``, a lone ``{`` and unknown names stay as they are. In HTML mode the
    values are escaped, so a recipient's name cannot inject markup.
    """

    def replace(match: re.Match[str]) -> str:
        value = params.get(match.group(1))
        if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
            return match.group(0)
        return html.escape(str(value), quote=False) if html_mode else str(value)

    return _PLACEHOLDER.sub(replace, text)


def _fallbacks(language: str) -> tuple[str, ...]:
    return _FALLBACKS.get(language, (language, DEFAULT_LANGUAGE, "kk"))


class DefaultRenderer:
    """Texts per language from the payload, or from ``templates`` (name → text per language,
    filled with ``str.format_map`` from the payload's params), plus inline buttons.
    """

    def __init__(
        self,
        templates: Mapping[str, Localized] | None = None,
        catalog: MessageCatalog | None = None,
    ) -> None:
        self._templates = dict(templates or {})
        self._catalog = catalog or MessageCatalog()

    def render(self, notification: Notification, language: str) -> RenderedMessage:
        payload = notification.payload
        if not isinstance(payload, Mapping):
            raise RenderError("the payload must be an object")
        keyboard = self._keyboard(payload.get("buttons"), language)
        if "message" in payload:
            return _variant_message(payload, language, keyboard)
        parse_mode = _parse_mode(payload.get("parse_mode"))
        if "edit" in payload:
            return RenderedMessage(
                text=self._text(payload, language),
                reply_markup=keyboard,
                parse_mode=parse_mode,
                kind="edit",
                message_id=_edited_message_id(payload["edit"]),
            )
        if "document" in payload:
            return RenderedMessage(
                text=self._text(payload, language) if _has_text(payload) else "",
                reply_markup=keyboard,
                parse_mode=parse_mode,
                kind="upload",
                upload=_upload(payload["document"]),
            )
        return RenderedMessage(
            text=self._text(payload, language), reply_markup=keyboard, parse_mode=parse_mode
        )

    def text_of(self, payload: Mapping[str, Any], language: str) -> str:
        """Just the text of a payload (``text``, ``message_key`` or ``parts``) in ``language``."""
        return self._text(payload, language)

    def _text(self, payload: Mapping[str, Any], language: str) -> str:
        if "text" in payload:
            return pick(payload["text"], language)
        html_mode = _parse_mode(payload.get("parse_mode")) == "HTML"
        if "parts" in payload:
            parts = payload["parts"]
            if not isinstance(parts, list) or not parts:
                raise RenderError("parts must be a non-empty list")
            text = "\n".join(self._part(part, language, html_mode) for part in parts)
            return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
        if "message_key" in payload:
            return self._message(payload, language, html_mode, 0)
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

    def _part(self, part: object, language: str, html_mode: bool) -> str:
        if isinstance(part, str):
            return part
        if isinstance(part, Mapping) and "message_key" in part:
            return self._message(part, language, html_mode, 0)
        raise RenderError("a part is a plain string or a message key")

    def _message(
        self, message: Mapping[str, Any], language: str, html_mode: bool, depth: int
    ) -> str:
        """A message key translated into ``language``, its placeholders filled."""
        if depth > MAX_NESTING:
            raise RenderError(f"message keys nested deeper than {MAX_NESTING}")
        params = message.get("params") or {}
        if not isinstance(params, Mapping):
            raise RenderError("message params must be an object")
        try:
            text = self._catalog.translate(message, language)
        except ValueError as error:
            raise RenderError(str(error)) from error
        values = {
            name: self._param(value, language, html_mode, depth) for name, value in params.items()
        }
        return fill(text, values, html_mode=html_mode)

    def _param(self, value: object, language: str, html_mode: bool, depth: int) -> object:
        if not isinstance(value, Mapping):
            return value
        if "message_key" in value:
            # Rendered text, escaped once by the outer fill in HTML mode.
            return self._message(value, language, False, depth + 1)
        return pick(value, language)

    def _keyboard(self, rows: object, language: str) -> dict[str, Any] | None:
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise RenderError("buttons must be a list of rows")
        return {
            "inline_keyboard": [[self._button(button, language) for button in row] for row in rows]
        }

    def _button(self, button: object, language: str) -> dict[str, str]:
        if not isinstance(button, Mapping):
            raise RenderError("a button must be an object")
        data = button.get("callback_data")
        if not isinstance(data, str) or not data:
            raise RenderError("a button needs callback_data")
        if len(data.encode()) > MAX_CALLBACK_DATA_BYTES:
            limit = MAX_CALLBACK_DATA_BYTES
            raise RenderError(f"callback_data over {limit} bytes: {data[:16]!r}…")
        if "message_key" in button:
            return {"text": self._message(button, language, False, 0), "callback_data": data}
        return {"text": pick(button.get("text"), language), "callback_data": data}


_DEFAULT: DefaultRenderer | None = None


def render_text(payload: Mapping[str, Any], language: str) -> str:
    """The text of a payload in ``language`` now, with the default catalogs (``locales/``)."""
    global _DEFAULT  # noqa: PLW0603 - one lazily built renderer, its catalogs loaded on first use
    if _DEFAULT is None:
        _DEFAULT = DefaultRenderer()
    return _DEFAULT.text_of(payload, language)


def _has_text(payload: Mapping[str, Any]) -> bool:
    return any(key in payload for key in TEXT_KEYS)


def _parse_mode(value: object) -> str | None:
    if value is not None and value not in PARSE_MODES:
        raise RenderError(f"unknown parse_mode {value!r}")
    return value if isinstance(value, str) else None


def _variant_message(
    payload: Mapping[str, Any], language: str, keyboard: dict[str, Any] | None
) -> RenderedMessage:
    variant = pick_variant(payload["message"], language)
    params = payload.get("params") or {}
    if not isinstance(params, Mapping):
        raise RenderError("params must be an object")
    kind = variant.get("type")
    if kind == "copy":
        from_chat_id, message_id = variant.get("from_chat_id"), variant.get("message_id")
        if not _is_int(from_chat_id) or not _is_int(message_id):
            raise RenderError("a copy needs integer from_chat_id and message_id")
        return RenderedMessage(
            text="",
            reply_markup=keyboard,
            kind="copy",
            from_chat_id=from_chat_id,
            message_id=message_id,
        )
    parse_mode = _parse_mode(variant.get("parse_mode"))
    html_mode = parse_mode == "HTML"
    if kind == "text":
        text = variant.get("text")
        if not isinstance(text, str) or not text.strip():
            raise RenderError("a text variant needs a non-empty text")
        return RenderedMessage(
            text=fill(text, params, html_mode=html_mode),
            reply_markup=keyboard,
            parse_mode=parse_mode,
        )
    if kind in ("photo", "document"):
        file_id, caption = variant.get("file_id"), variant.get("caption")
        if not isinstance(file_id, str) or not file_id:
            raise RenderError(f"a {kind} variant needs a file_id")
        if caption is not None and not isinstance(caption, str):
            raise RenderError("a caption must be a text")
        return RenderedMessage(
            text=fill(caption or "", params, html_mode=html_mode),
            reply_markup=keyboard,
            parse_mode=parse_mode if caption else None,
            kind="photo" if kind == "photo" else "document",
            file_id=file_id,
        )
    raise RenderError(f"unknown message variant type {kind!r}")


def _edited_message_id(edit: object) -> int:
    message_id = edit.get("message_id") if isinstance(edit, Mapping) else None
    if not _is_int(message_id):
        raise RenderError("an edit needs the integer message_id of the message to edit")
    assert isinstance(message_id, int)
    return message_id


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _upload(document: object) -> Upload:
    if not isinstance(document, Mapping):
        raise RenderError("document must be an object with filename and content_b64")
    filename, content = document.get("filename"), document.get("content_b64")
    if not isinstance(filename, str) or not filename.strip() or "/" in filename:
        raise RenderError("document needs a plain filename")
    if not isinstance(content, str):
        raise RenderError("document needs content_b64")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RenderError(f"document content is not base64: {error}") from error
    if not data:
        raise RenderError("document is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise RenderError("document is over 50 MB")
    return Upload(filename, data)
