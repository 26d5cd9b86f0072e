"""Field types shared by every request model: bounded ids, texts without control characters.

Ids: primary keys are ``INTEGER`` on PostgreSQL (32-bit), so an id above 2^31-1 can name no row
and is refused at the edge (an out-of-range path id is a 404, a body id a 422) instead of
reaching the database as an overflow. Telegram ids are ``BIGINT`` (64-bit).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Earliest and latest moments the API accepts: the service exists since 2024, and a time in
# year 1 cannot even be shifted to UTC.
EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_TIME = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

RowId = Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]
TelegramId = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]
ChatId = Annotated[int, Strict(), Field(ge=-INT64_MAX, le=INT64_MAX)]

# NUL and other C0 controls break PostgreSQL text (NUL), CSV/XLSX exports and log lines;
# lone surrogates cannot be encoded. Single-line fields also refuse line breaks.
_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _no_controls(value: str) -> str:
    if _LINE_FORBIDDEN.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _no_controls_but_breaks(value: str) -> str:
    if _TEXT_FORBIDDEN.search(value):
        raise ValueError("control characters are not allowed")
    return value


_LINE_SCHEMA = Field(json_schema_extra={"pattern": LINE_PATTERN})
_TEXT_SCHEMA = Field(json_schema_extra={"pattern": TEXT_PATTERN})
# Single-line texts of at most N characters, and multi-line ones (line breaks and tabs allowed).
Line16 = Annotated[
    str, Strict(), StringConstraints(max_length=16), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Line32 = Annotated[
    str, Strict(), StringConstraints(max_length=32), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Line64 = Annotated[
    str, Strict(), StringConstraints(max_length=64), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Line128 = Annotated[
    str, Strict(), StringConstraints(max_length=128), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Line256 = Annotated[
    str, Strict(), StringConstraints(max_length=256), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Line512 = Annotated[
    str, Strict(), StringConstraints(max_length=512), _LINE_SCHEMA, AfterValidator(_no_controls)
]
Text1024 = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=1024),
    _TEXT_SCHEMA,
    AfterValidator(_no_controls_but_breaks),
]
Text4096 = Annotated[
    str,
    Strict(),
    StringConstraints(max_length=4096),
    _TEXT_SCHEMA,
    AfterValidator(_no_controls_but_breaks),
]


def strip_controls(value: str) -> str:
    """Stored text made safe for files and logs: C0 controls (but line breaks) removed."""
    return _TEXT_FORBIDDEN.sub("", value)


# A moment in a response: ISO 8601 as ``datetime.isoformat`` writes it ("…+00:00"), as the
# API always has, rather than pydantic's "…Z".
Moment = Annotated[
    dt.datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class RequestModel(BaseModel):
    """A request body: unknown keys are ignored, every known one is checked."""

    model_config = ConfigDict(extra="ignore")


class ResponseModel(BaseModel):
    """A response body; extra keys are documented as allowed so old clients keep working."""

    model_config = ConfigDict(extra="allow")


class Problem(ResponseModel):
    """RFC 9457 problem details."""

    type: str
    status: int
    title: str
    detail: str | None = None
    errors: list[str] | None = None
    suggestions: list[str] | None = None
    invalid: list[dict[str, Any]] | None = None
    code: str | None = None
    checks: dict[str, str] | None = None  # /readyz: each check's state


def contains_controls(value: str) -> bool:
    """Whether a single-line value has a control character or a lone surrogate."""
    return _LINE_FORBIDDEN.search(value) is not None


class Health(ResponseModel):
    status: str
    version: str
    database: dict[str, Any]
    ruleset: dict[str, Any]


class Readiness(ResponseModel):
    status: str  # "ready"
    checks: dict[str, str]  # database, migrations, redis: "ok" or "not configured"
