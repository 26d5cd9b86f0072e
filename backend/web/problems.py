"""Errors as RFC 9457 problem+json bodies; never a traceback to the client."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200) -> web.Response:
    """JSON in UTF-8 as it is (Kazakh and Russian stay readable, not \\u-escaped)."""
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"type": "about:blank", "status": status, "title": title}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type=PROBLEM_TYPE,
    )


class ProblemError(Exception):
    """Raise from a view to answer with a problem body."""

    def __init__(self, status: int, title: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as exc:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem(
            exc.status, exc.reason, exc.text if exc.text != f"{exc.status}: {exc.reason}" else None
        )
        if "Allow" in exc.headers:  # a 405 says which methods the resource has
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception as exc:
        if database_unavailable(exc):
            # Out of connections, or the server is down or restarting: the request did nothing
            # and may be retried, so say so rather than answer 500.
            log.warning(
                "database unavailable",
                extra={
                    "path": request.path,
                    "method": request.method,
                    "error": type(exc).__name__,
                },
            )
            response = problem(
                503, "Service Unavailable", "The database is busy or unreachable; retry shortly."
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return problem(500, "Internal Server Error")


RETRY_AFTER_SECONDS = 5
# What a server that is down, restarting or out of connections raises, through SQLAlchemy's
# wrappers or before them (asyncpg's connect errors are OSError or PostgresError subclasses).
_UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03", "08000", "08001", "08006"})


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be used at all, not that a query was wrong."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | OSError) and not isinstance(
            current, FileNotFoundError | PermissionError
        ):
            return True
        if getattr(current, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
            return True
        current = current.__cause__ or current.__context__
    return False


def unprocessable(detail: str, **extra: Any) -> ProblemError:
    """A 422: the request is well-formed JSON but says something the API cannot accept."""
    return ProblemError(422, "Unprocessable Content", detail, **extra)


def iso(value: dt.date | None) -> str | None:
    """A date or time for a JSON body (ISO 8601), or null."""
    return value.isoformat() if value is not None else None
