"""The HTTP server's own errors as problem+json too.

A request aiohttp cannot even parse (a URL or header over 8190 bytes, a broken request line)
never reaches the app's middleware: aiohttp answers it with plain text. ``ProblemAppRunner``
serves the app with a request handler whose error answer is a problem body instead.
"""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from backend.web.problems import problem


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemRequestHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs it; raises if already sent
        # aiohttp's message names the limit ("Got more than 8190 bytes…"), never the data.
        detail = message.splitlines()[0][:200] if message and status < 500 else None
        response = problem(status, _title(status), detail)
        response.force_close()
        return response


class _ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ProblemAppRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _ProblemServer  # same state, one method different
        return server
