"""The small front of a multi-process bot: one webhook URL spread over several bot processes.

Each user's updates go round robin over the processes (the n-th update of user u to process
``(u + n) mod N``), so one user's consecutive updates land on different processes and the
dialog state can only come from the shared store. A process that does not answer (killed, still
starting) is skipped for the next one, as a load balancer with retries does; the harness also
marks a process down while it restarts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from testing.telegram import SECRET_HEADER


@dataclass
class Routed:
    """Where updates went: per process, and how often a user's update followed their previous
    one onto the same process (only when the other processes were down)."""

    by_process: Counter[int] = field(default_factory=Counter)
    same_as_previous: int = 0
    failovers: int = 0  # times an update passed a process that was down or did not answer
    refused: int = 0  # updates no process took (answered 502; Telegram posts them again)


class Front:
    """``async with Front(path) as front``: ``front.url`` is the webhook base URL to give the
    bots; ``front.targets`` their webhook addresses, in process order."""

    def __init__(self, path: str, targets: list[str] | None = None) -> None:
        self.path = path
        self.targets: list[str] = list(targets or [])
        self.down: set[int] = set()
        self.routed = Routed()
        self._sent: Counter[int] = Counter()  # updates per user so far
        self._previous: dict[int, int] = {}  # user → the process that took their last update
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._url: str | None = None

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(self.path, self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = ClientSession(timeout=ClientTimeout(total=30))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the front is not started")
        return self._url

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        user = _sender(body)
        count = len(self.targets)
        first = (user + self._sent[user]) % count if count else 0
        self._sent[user] += 1
        headers = {"Content-Type": request.content_type}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        for step in range(count):
            index = (first + step) % count
            if index in self.down:
                self.routed.failovers += 1
                continue
            try:
                async with self._client.post(
                    self.targets[index], data=body, headers=headers
                ) as response:
                    answer = await response.read()
                    status, content_type = response.status, response.content_type
            except (ClientError, TimeoutError):
                self.routed.failovers += 1
                continue
            self.routed.by_process[index] += 1
            if self._previous.get(user) == index:
                self.routed.same_as_previous += 1
            self._previous[user] = index
            return web.Response(status=status, body=answer, content_type=content_type)
        self.routed.refused += 1
        return web.Response(status=502, text="no bot process answered")


def _sender(body: bytes) -> int:
    """The user an update comes from (0 when it has none)."""
    try:
        update: Any = json.loads(body)
    except ValueError:
        return 0
    for key, payload in update.items() if isinstance(update, dict) else ():
        if key != "update_id" and isinstance(payload, dict):
            sender = payload.get("from") or payload.get("chat") or {}
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return 0
