"""Structured logs. Log Telegram ids, never message texts, names or tokens.

Every record passes ``RedactingFilter`` before it is written, wherever it comes from (our code,
aiogram, aiohttp, SQLAlchemy, APScheduler, Python warnings):

- secrets are masked anywhere in the record -- message, arguments, extra fields, exception and
  stack text: the configured bot token, webhook secret and API-token pepper by value, and by
  shape any bot token (the Bot API puts it in request URLs), API bearer token (``snt_…``) and
  ``Authorization: Bearer …`` value;
- personal data stays out: SQL parameters and result rows (SQLAlchemy at INFO/DEBUG, and the
  ``[parameters: …]`` / ``DETAIL: Key (…)=(…)`` parts of database errors, which quote what was
  submitted), and the raw update aiogram prints when it meets an unknown update type;
- the scheduler's "running job" / "executed successfully" lines, one per job every few seconds,
  go to DEBUG; missed and failed runs stay warnings and errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

from backend.settings import LogSettings, Settings

TOKEN_PATTERN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{30,}")
SHAPES = (
    (TOKEN_PATTERN, "<token>"),
    (re.compile(r"snt_[A-Za-z0-9_-]{8,}"), "<api-token>"),
    (re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"), r"\1<secret>"),
    (re.compile(r"(?i)(secret[_-]?token[\"']?\s*[:=]\s*[\"']?)[^\s'\",;&]+"), r"\1<secret>"),
)
PERSONAL = (
    # SQLAlchemy appends the statement's parameters to database errors.
    (re.compile(r"\[parameters: .*?(?=\n\(Background|\Z)", re.DOTALL), "[parameters: <hidden>]"),
    # PostgreSQL repeats a conflicting row's values: DETAIL:  Key (name_key)=(…) already exists.
    (re.compile(r"(Key \([^)]*\)=\().*?(\) )"), r"\1<hidden>\2"),
    # asyncpg quotes a value it could not encode: invalid input for query argument $1: 'Имя…'
    (re.compile(r"(query argument \$\d+: ).*"), r"\1<hidden>"),
    # aiogram's warning about an unknown update type carries the whole update.
    (re.compile(r"(\nUpdate: ).*", re.DOTALL), r"\1<hidden>"),
)
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_known_secrets: list[str] = []


def set_secrets(values: Iterable[str | None]) -> None:
    """The configured secrets to mask by value (bot token, webhook secret, pepper)."""
    # Longest first, so a secret containing another is masked whole; very short values would
    # mask ordinary words and protect nothing.
    _known_secrets[:] = sorted({v for v in values if v and len(v) >= 8}, key=len, reverse=True)


def secrets_of(settings: Settings) -> list[str]:
    values = (settings.bot.token, settings.bot.webhook_secret, settings.web.api_tokens_pepper)
    return [value.get_secret_value() for value in values if value is not None]


def redact(text: str) -> str:
    for secret in _known_secrets:
        text = text.replace(secret, "<secret>")
    for pattern, replacement in SHAPES:
        text = pattern.sub(replacement, text)
    return text


def _personal_out(text: str) -> str:
    for pattern, replacement in PERSONAL:
        text = pattern.sub(replacement, text)
    return text


def scrub(text: str) -> str:
    """A line fit for the log: no secret, no submitted value."""
    return _personal_out(redact(text))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, int | float | bool | None):
        return value
    return scrub(repr(value) if isinstance(value, bytes) else str(value))


class RedactingFilter(logging.Filter):
    """Masks secrets and personal data in place; demotes routine scheduler lines to DEBUG."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            if self.level > logging.DEBUG:
                return False
        if record.name.startswith("sqlalchemy.engine") and record.args:
            # Statement parameters and result rows: the values people typed.
            record.args = tuple("<hidden>" for _ in _as_tuple(record.args))
        message = record.getMessage()  # msg % args, once; the arguments are then spent
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # the text above stands for it, masked
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _RESERVED and not key.startswith("_"):
                setattr(record, key, _clean(value))
        return True


def _as_tuple(args: Any) -> tuple[Any, ...]:
    return args if isinstance(args, tuple) else (args,)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = scrub(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: LogSettings, secrets: Iterable[str | None] = ()) -> None:
    set_secrets(secrets)
    level = logging.getLevelNamesMapping()[settings.level]
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(level))
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    logging.captureWarnings(True)  # warnings (aiogram's unknown update) pass the filter too
    # aiohttp's access log prints full request lines, and Alembic logs its context on every
    # /healthz probe; keep both at WARNING unless debugging.
    quiet = logging.DEBUG if settings.level == "DEBUG" else logging.WARNING
    for name in ("aiohttp.access", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(quiet)
