"""What a broadcast says: the message variants per language and their limits.

Pure rules, no database: the service (backend.broadcasts.service) checks a draft with
``content_problems`` and stores ``text_sha256`` as the audit fingerprint.

A message variant (``content[lang]``) is one of::

    {"type": "text", "text": str, "parse_mode": "HTML" | None}
    {"type": "photo", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "document", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "copy", "from_chat_id": int, "message_id": int}   # a forwarded channel post

with ``{name}`` placeholders in text/caption filled per recipient.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

Variant = dict[str, Any]
Problems = list[tuple[str, str]]  # (field, code) pairs, as the API reports them
LANGUAGES = ("kk", "ru")
VARIANT_TYPES = ("text", "photo", "document", "copy")
MAX_TEXT = 4096  # Telegram's limit for a message text
MAX_CAPTION = 1024  # … and for a media caption


def _check_text(
    problems: Problems, field_name: str, value: object, limit: int, required: bool
) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append((field_name, "required" if required else "invalid"))
    elif len(value) > limit:
        problems.append((field_name, "too_long"))


def _validate_variant(problems: Problems, lang: str, variant: object) -> None:
    where = f"content.{lang}"
    if not isinstance(variant, dict):
        problems.append((where, "invalid"))
        return
    kind = variant.get("type")
    if kind not in VARIANT_TYPES:
        problems.append((f"{where}.type", "unknown"))
        return
    if variant.get("parse_mode") not in (None, "HTML"):
        problems.append((f"{where}.parse_mode", "unknown"))
    if kind == "text":
        _check_text(problems, f"{where}.text", variant.get("text"), MAX_TEXT, required=True)
    elif kind in ("photo", "document"):
        file_id = variant.get("file_id")
        if not isinstance(file_id, str) or not file_id:
            problems.append((f"{where}.file_id", "required"))
        _check_text(problems, f"{where}.caption", variant.get("caption"), MAX_CAPTION, False)
    else:
        for key in ("from_chat_id", "message_id"):
            value = variant.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append((f"{where}.{key}", "required"))


def content_problems(content: object) -> Problems:
    """What is wrong with ``content`` (language → variant); empty when it may be sent."""
    problems: Problems = []
    if not isinstance(content, dict) or not content:
        problems.append(("content", "required"))
        return problems
    for lang, variant in content.items():
        if lang not in LANGUAGES:
            problems.append((f"content.{lang}", "unknown_language"))
        else:
            _validate_variant(problems, lang, variant)
    return problems


def text_sha256(content: dict[str, Variant]) -> str:
    """Audit fingerprint of what was sent: SHA-256 of the variants' canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
