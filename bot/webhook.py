"""The webhook endpoint: anything that is not a valid update is a 400, logged without contents.

aiogram's handler parses the body itself and answers a non-JSON, empty, invalid-UTF-8 or deeply
nested body with a 500 (and a malformed update is logged with what it carries). Here the body is
read with the backend's bounded JSON reader and checked as an ``Update`` first.

aiogram answers Telegram at once and handles each update in a task of its own, with no bound:
under a burst every update would ask for database connections together and most would wait out
the pool's timeout and fail. Here at most ``max_concurrent`` updates are handled at a time; the
rest wait their turn in order, holding nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from backend.web.bodies import parse_json, read_bytes
from backend.web.problems import ProblemError, problem

log = logging.getLogger(__name__)


class CheckedRequestHandler(SimpleRequestHandler):
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, *, max_concurrent: int = 8, **kwargs: Any
    ) -> None:
        super().__init__(dispatcher=dispatcher, bot=bot, **kwargs)
        self._handling = asyncio.Semaphore(max_concurrent)

    async def _background_feed_update(self, bot: Bot, update: dict[str, Any]) -> None:
        async with self._handling:
            await super()._background_feed_update(bot, update)

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            data = parse_json(await read_bytes(request))  # cached: aiogram reads it again
            Update.model_validate(data, context={"bot": bot})
        except ProblemError as error:
            log.warning("webhook body refused", extra={"reason": error.detail})
            return problem(error.status, error.title, error.detail)
        except web.HTTPException as error:  # over client_max_size: 413
            log.warning("webhook body refused", extra={"reason": error.reason})
            return problem(error.status, error.reason)
        except ValidationError as error:
            # The error's text quotes the update; its count says enough.
            log.warning("webhook body is not an update", extra={"errors": error.error_count()})
            return problem(400, "Bad Request", "the body is not a Telegram update")
        return await super().handle(request)

    __call__ = handle
