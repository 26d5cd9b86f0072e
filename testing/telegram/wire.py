"""The Bot API on the wire: parameters in (any encoding), Telegram-shaped errors out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web

Json = dict[str, Any]

# Telegram reads every parameter from strings (a multipart or urlencoded body is all strings),
# so it decodes by name. Normalising the same way at the door lets the handlers and the call log
# see one shape whatever the client sent: aiogram's multipart, a JSON body or a query string.
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "message_ids",
        "reply_markup",
        "reply_parameters",
        "scope",
    }
)
_INT_FIELDS = frozenset(
    {
        "cache_time",
        "chat_id",
        "from_chat_id",
        "height",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
        "width",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "allow_sending_without_reply",
        "disable_notification",
        "drop_pending_updates",
        "protect_content",
        "show_alert",
    }
)
_INTEGER = re.compile(r"-?\d+")


class APIError(Exception):
    """A Telegram error answer; raised anywhere in a method, sent as ``{"ok": false, ...}``."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> Json:
        body: Json = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            # aiogram raises TelegramRetryAfter from parameters.retry_after, not from the code.
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> APIError:
    return APIError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart body."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


class Params:
    """One call's parameters, normalised by name the way Telegram reads them."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values: Json = {name: _normalise(name, value) for name, value in values.items()}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: Json = dict(request.query)
        if not request.body_exists:
            return cls(values)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            values.update(body)
            return cls(values)
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                with value.file:  # aiohttp spools uploads to temporary files; close them now
                    data = value.file.read()
                values[name] = Upload(value.filename, value.content_type, data)
            else:
                values[name] = value
        return cls(values)

    @classmethod
    async def from_multipart(cls, reader: MultipartReader) -> Params:
        """Read a multipart body from a client response (a method answered to a webhook)."""
        values: Json = {}
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                values[part.name] = Upload(part.filename, content_type, await part.read())
            else:
                values[part.name] = await part.text()
        return cls(values)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad_request(f"invalid {name} specified")

    def require_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
        raise bad_request(f"invalid {name} specified")

    def flag(self, name: str) -> bool:
        return self.values.get(name) is True

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str) and value:
            # _normalise leaves undecodable JSON as a string so that the error surfaces here,
            # in the method that needed it, with Telegram's wording.
            raise bad_request(f"can't parse {name} JSON object")
        return value

    def upload(self, name: str) -> Upload | None:
        value = self.values.get(name)
        return value if isinstance(value, Upload) else None


def _normalise(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS and _INTEGER.fullmatch(value):
        return int(value)
    if name in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    return value
