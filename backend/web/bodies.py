"""Request bodies read with bounded work: size, time, charset, nesting, number length.

Every JSON body goes through ``read_model``: the raw bytes (at most ``client_max_size``, within
``BODY_TIMEOUT``), decoded as UTF-8 (another declared charset is a 415, bad bytes a 400), parsed
with NaN/Infinity, over-long numbers and deep nesting refused (400), then validated by a pydantic
model (422 naming each field). Nothing reaches a handler that the model did not accept.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backend.web.keys import body_timeout_key
from backend.web.problems import ProblemError, json_response, unprocessable

BODY_TIMEOUT = 10.0  # seconds for a whole body: a client that never finishes is cut off
MAX_NESTING = 32  # no request model is deeper than a few levels
MAX_NUMBER_DIGITS = 32  # a 64-bit id has 19 digits; a longer number is not an input of ours
UTF8_CHARSETS = ("utf-8", "utf8")

ModelT = TypeVar("ModelT", bound=BaseModel)


def _bad_request(detail: str) -> ProblemError:
    return ProblemError(400, "Bad Request", detail)


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _bad_request(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 8:
        raise _bad_request("a number is too long")
    value = float(text)
    if not math.isfinite(value):
        raise _bad_request("numbers must be finite")
    return value


def _refuse_constant(name: str) -> Any:
    raise _bad_request(f"{name} is not JSON: numbers must be finite")


def _depth(value: Any) -> int:
    """The nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def parse_json(raw: bytes) -> Any:
    """Strict JSON from UTF-8 bytes; a ``ProblemError`` (400) for anything else."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_request("the body is not valid UTF-8") from None
    # Deep nesting is refused before parsing: the C parser recurses once per level.
    if text.count("[") + text.count("{") > MAX_NESTING and _bracket_depth(text) > MAX_NESTING:
        raise _bad_request(f"the JSON is nested deeper than {MAX_NESTING} levels")
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
        )
    except ProblemError:
        raise
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise _bad_request(f"the body is not valid JSON: {type(exc).__name__}") from None
    if _depth(value) > MAX_NESTING:
        raise _bad_request(f"the JSON is nested deeper than {MAX_NESTING} levels")
    return value


def _bracket_depth(text: str) -> int:
    """The deepest bracket nesting outside strings (one linear pass)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def body_timeout(request: web.Request) -> float:
    return request.app.get(body_timeout_key, BODY_TIMEOUT)


def check_charset(request: web.Request) -> None:
    charset = request.charset
    if charset is not None and charset.lower() not in UTF8_CHARSETS:
        raise ProblemError(415, "Unsupported Media Type", "send JSON in UTF-8")


async def read_bytes(request: web.Request) -> bytes:
    """The whole body, within ``client_max_size`` (413) and ``BODY_TIMEOUT`` (408)."""
    try:
        async with asyncio.timeout(body_timeout(request)):
            return await request.read()
    except TimeoutError:
        raise ProblemError(408, "Request Timeout", "the body did not arrive in time") from None


async def read_json(request: web.Request) -> Any:
    check_charset(request)
    return parse_json(await read_bytes(request))


def invalid_fields(error: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as [{field, code}], field as a dotted path ("content.ru.text")."""
    out: list[dict[str, str]] = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item["loc"] if not str(part).startswith("function"))
        out.append({"field": path or "body", "code": str(item["type"])})
    return out


def validate(model: type[ModelT], data: Any) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = invalid_fields(exc)
        names = ", ".join(f"'{item['field']}' ({item['code']})" for item in problems)
        raise unprocessable(
            f"the request is invalid: {names}",
            errors=[f"{item['field']}: {item['code']}" for item in problems],
            invalid=problems,
        ) from None


async def read_model(request: web.Request, model: type[ModelT]) -> ModelT:
    """The body as ``model``: 400/408/413/415 for an unreadable body, 422 for invalid fields."""
    return validate(model, await read_json(request))


def reply(model: type[BaseModel], body: Any, status: int = 200) -> web.Response:
    """A JSON answer checked against its response model (the one the document shows), with
    only the keys the handler gave."""
    checked = model.model_validate(body)
    return json_response(checked.model_dump(mode="json", exclude_unset=True), status=status)
