"""A local Telegram Bot API server for end-to-end tests.

The bot under test talks to it over real HTTP, exactly as to ``api.telegram.org`` in local mode
(``TelegramAPIServer.from_base(api.base_url, is_local=True)``), and gets Telegram-shaped answers,
so aiogram raises its real exceptions. Tests play users with ``api.user(...)``, break things
with ``inject``/``block``/``enforce_limits``, and read what happened through ``calls``,
``sent_count`` and the users' ``messages()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, MultipartReader, web

from testing.telegram.driver import UserDriver
from testing.telegram.limits import SEND_METHODS, Fault, FaultInjector, FloodControl, Limits
from testing.telegram.methods import BotMethods
from testing.telegram.wire import APIError, Json, Params
from testing.telegram.world import BotMessage, Call, FileStore, StoredFile, Webhook, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_REQUEST_BYTES = 64 * 1024 * 1024  # above the cloud API's 50 MB upload limit

_T = TypeVar("_T")


class LocalBotAPI:
    """A Bot API server on 127.0.0.1 with a free port; use ``async with LocalBotAPI() as api``."""

    def __init__(
        self,
        *,
        enforce_limits: bool = False,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
        local_mode: bool = True,
        bot_id: int = 123456789,
        bot_username: str = "sanat_test_bot",
        bot_first_name: str = "Sanat",
        clock: Callable[[], float] = time.monotonic,
        webhook_retry_delay: float = 0.1,
        webhook_connections: int = 1,
    ) -> None:
        """
        :param enforce_limits: answer 429 to sends over Telegram's flood limits
        :param local_mode: getFile answers absolute paths on disk, as a real local server does
            (aiogram with ``is_local=True`` then reads the file from disk), else relative ones
        :param clock: time for flood limits and ``Call.at``; a fake one makes limits testable
            without sleeping
        :param webhook_retry_delay: seconds before re-posting an update the webhook refused
        :param webhook_connections: updates posted to the webhook at once (at most the webhook's
            ``max_connections``). With 1, every update waits for the one before; with more, as
            Telegram does, only a chat's own updates wait for each other (they stay in order)
        """
        # Shaped like a real token (digits, a colon, 35 URL-safe characters starting "AA"),
        # and different per server so that a bot pointed at the wrong one is refused.
        self.token = f"{bot_id}:AA{secrets.token_urlsafe(33)[:33]}"
        self.bot_user: Json = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._clock = clock
        self._world = World(self.bot_user, FileStore(local_mode=local_mode))
        self._methods = BotMethods(self._world, local_mode=local_mode)
        self._faults = FaultInjector()
        self._flood = (
            FloodControl(
                Limits(global_per_second, per_chat_per_second, per_group_per_minute), clock
            )
            if enforce_limits
            else None
        )
        self._users: dict[int, UserDriver] = {}
        self._blocked: set[int] = set()
        self._sent: Counter[int] = Counter()
        self._webhook_retry_delay = webhook_retry_delay
        self._webhook_connections = webhook_connections
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._base_url: str | None = None

    # Lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._world.files.root = Path(tempfile.mkdtemp(prefix="sanat-bot-api-"))
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._on_method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._on_file)
        # handler_cancellation: a client giving up a long poll (aiogram stopping its polling)
        # ends the handler, so shutdown does not wait for the poll's timeout.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self._base_url = f"http://127.0.0.1:{port}"
        self._client = ClientSession(timeout=ClientTimeout(total=10))
        self._delivery = asyncio.create_task(self._deliver_to_webhook())

    async def close(self) -> None:
        self._methods.closing = True
        self._world.changed.notify()  # long polls answer now
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._world.files.root is not None:
            shutil.rmtree(self._world.files.root, ignore_errors=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: give it to ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("the server is not started")
        return self._base_url

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    # The world: users, channels, groups

    def user(
        self,
        user_id: int = 1001,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> UserDriver:
        """A user with a private chat with the bot (chat id = user id); the same one if known."""
        if user_id in self._users:
            return self._users[user_id]
        if user_id <= 0 or user_id == self.bot_id:
            raise ValueError(f"{user_id} cannot be a user id")
        user: Json = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat_info: Json = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = chat_info[key] = value
        if language_code is not None:
            user["language_code"] = language_code
        self._world.users[user_id] = user
        driver = UserDriver(self._world, self._world.add_chat(chat_info), user)
        self._users[user_id] = driver
        return driver

    def add_channel(
        self,
        chat_id: int,
        title: str,
        *,
        username: str | None = None,
        bot_is_admin: bool = True,
        members: tuple[int, ...] = (),
    ) -> None:
        """A channel (id like -100…); the bot posts in it only as an administrator."""
        self._add_group_chat(
            chat_id,
            title,
            "channel",
            username=username,
            bot_is_admin=bot_is_admin,
            members=members,
        )

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        username: str | None = None,
        supergroup: bool = True,
        bot_is_admin: bool = False,
        members: tuple[int, ...] = (),
    ) -> None:
        chat_type = "supergroup" if supergroup else "group"
        self._add_group_chat(
            chat_id,
            title,
            chat_type,
            username=username,
            bot_is_admin=bot_is_admin,
            members=members,
        )

    def _add_group_chat(
        self,
        chat_id: int,
        title: str,
        chat_type: str,
        *,
        username: str | None,
        bot_is_admin: bool,
        members: tuple[int, ...],
    ) -> None:
        if chat_id >= 0:
            raise ValueError(f"a {chat_type} id is negative, not {chat_id}")
        info: Json = {"id": chat_id, "type": chat_type, "title": title}
        if username is not None:
            info["username"] = username
        self._world.add_chat(info, bot_is_admin=bot_is_admin, members=set(members))

    def channel_post(self, chat_id: int, text: str) -> int:
        """A post published in a channel by its admins (not the bot); its message id, e.g. the
        source of a copyMessage. The bot gets it as a ``channel_post`` if it is an admin.
        """
        channel = self._world.chat(chat_id)
        post = self._world.post(
            channel, {"sender_chat": channel.info}, {"text": text}, by_bot=False
        )
        if channel.bot_is_admin:
            self._world.push_update("channel_post", post)
        return int(post["message_id"])

    def add_file(
        self,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        photo: bool = False,
    ) -> StoredFile:
        """A file Telegram already has (as if a user had sent it), usable by its file_id."""
        return self._world.files.add(
            data,
            folder="photos" if photo else "documents",
            file_name=None if photo else file_name,
            mime_type=None if photo else mime_type,
        )

    def push_update(self, kind: str, payload: Json) -> Json:
        """Queue (or post to the webhook) any update, e.g. ``my_chat_member``; returns it."""
        return self._world.push_update(kind, payload)

    # Faults

    def inject(
        self,
        error: int,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int = 2,
        times: int | None = 1,
        description: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` matching calls (None: all until ``clear_faults``) with an
        error: 429 carries ``retry_after``; 403, 500, 502… have Telegram's wording by default.
        """
        return self._faults.add(
            error,
            method=method,
            chat_id=chat_id,
            retry_after=retry_after,
            times=times,
            description=description,
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def block(self, chat_id: int) -> None:
        """The user blocks the bot (or a group/channel removes it): calls to it answer 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    # Observation

    @property
    def calls(self) -> list[Call]:
        """Every Bot API call so far, oldest first."""
        return list(self._world.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self._world.calls if call.method.lower() == method.lower()]

    def sent_count(self, chat_id: int | None = None) -> int:
        """Accepted sends (sendMessage, sendDocument, sendPhoto, copyMessage, forwardMessage)."""
        return self._sent.total() if chat_id is None else self._sent[chat_id]

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in any chat (a channel's posts, say), as they are now."""
        return self._world.bot_messages(self._world.chat(chat_id))

    def commands(self, scope: Json | None = None, language_code: str = "") -> list[Json]:
        """The commands set with setMyCommands for exactly this scope and language."""
        return self._methods.commands(scope, language_code)

    def file(self, file_id: str) -> StoredFile:
        return self._world.files.get(file_id)

    @property
    def webhook(self) -> Webhook:
        return self._world.webhook

    @property
    def pending_updates(self) -> list[Json]:
        return list(self._world.updates)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> Call:
        """The first answered call to ``method`` (matching ``predicate``), waiting for it if
        need be. Calls are logged when answered, so a waiting long poll is not one yet.
        """

        def find() -> Call | None:
            calls = self.calls_to(method)
            return next((c for c in calls if predicate is None or predicate(c)), None)

        return await self._wait_until(find, timeout, f"no {method} call")

    async def wait_until_polling(self, timeout: float = 5.0) -> None:
        """Until a getUpdates is waiting on the server: the bot is up and listening."""
        await self._wait_until(
            lambda: self._methods.waiting_polls > 0 or None, timeout, "the bot is not polling"
        )

    async def _wait_until(
        self, probe: Callable[[], _T | None], timeout: float, failure: str
    ) -> _T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (found := probe()) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{failure} in {timeout}s")
            await self._world.changed.wait(remaining)
        return found

    # HTTP

    async def _on_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _respond(APIError(401, "Unauthorized").to_json())
        try:
            params = await Params.from_request(request)
        except APIError as error:
            return _respond(error.to_json())
        return _respond(await self._execute(request.match_info["method"], params))

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._world.files.by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return _respond(APIError(404, "Not Found").to_json())
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _execute(self, method: str, params: Params) -> Json:
        """Run one call and log it; the answer is Telegram's JSON, success or error."""
        at = self._clock()
        try:
            result = await self._answer(method, params)
        except APIError as error:
            call = Call(method, params.values, at, False, error.error_code, error.description)
            body = error.to_json()
        else:
            call = Call(method, params.values, at, True, result=result)
            body = {"ok": True, "result": result}
        self._world.calls.append(call)
        self._world.changed.notify()
        return body

    async def _answer(self, method: str, params: Params) -> Any:
        handler = self._methods.lookup(method)
        chat_id = self._target_chat(params)
        if (error := self._faults.take(method, chat_id)) is not None:
            raise error
        if chat_id in self._blocked and not method.lower().startswith("get"):
            raise APIError(403, self._blocked_description(chat_id))
        counted = method.lower() in SEND_METHODS and chat_id is not None
        if counted and self._flood is not None:
            self._flood.check(chat_id)
        result = await handler(params)
        if counted:
            # Nothing awaited since the check, so concurrent sends cannot both slip through.
            if self._flood is not None:
                self._flood.record(chat_id)
            self._sent[chat_id] += 1
        return result

    def _target_chat(self, params: Params) -> Any:
        value = params.values.get("chat_id")
        return value if isinstance(value, int) else self._world.resolve_chat_id(value)

    def _blocked_description(self, chat_id: int) -> str:
        chat = self._world.chats.get(chat_id)
        chat_type = chat.type if chat is not None else ("private" if chat_id > 0 else "group")
        if chat_type == "private":
            return "Forbidden: bot was blocked by the user"
        kind = "channel" if chat_type == "channel" else "group"
        return f"Forbidden: bot was kicked from the {kind} chat"

    # Webhook delivery

    async def _deliver_to_webhook(self) -> None:
        """Post pending updates one by one, in order, while a webhook is set."""
        if self._webhook_connections > 1:
            await self._deliver_concurrently()
            return
        while True:
            update = self._world.deliverable(1) if self._world.webhook.url else []
            if not update:
                await self._world.changed.wait(None)
            elif not await self._post_update(update[0]):
                await asyncio.sleep(self._webhook_retry_delay)

    async def _deliver_concurrently(self) -> None:
        """Post up to ``webhook_connections`` updates at once, one per chat at a time, oldest
        first: a chat's next update waits until the webhook has taken the one before.
        """
        posting: set[int] = set()  # update ids under way
        busy: set[Any] = set()  # their chats
        tasks: set[asyncio.Task[None]] = set()

        async def post(update: Json, chat: Any) -> None:
            try:
                if not await self._post_update(update):
                    await asyncio.sleep(self._webhook_retry_delay)
            finally:
                posting.discard(update["update_id"])
                busy.discard(chat)
                self._world.pending.notify()

        try:
            while True:
                webhook = self._world.webhook
                if webhook.url:
                    limit = min(self._webhook_connections, max(1, webhook.max_connections))
                    passed: set[Any] = set()  # chats whose oldest pending update was seen
                    for update in self._world.deliverable(len(self._world.updates)):
                        if len(posting) >= limit:
                            break
                        chat = _update_chat(update)
                        if chat in passed or chat in busy:
                            passed.add(chat)
                            continue
                        passed.add(chat)
                        busy.add(chat)
                        posting.add(update["update_id"])
                        task = asyncio.create_task(post(update, chat))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                await self._world.pending.wait(None)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _post_update(self, update: Json) -> bool:
        assert self._client is not None
        webhook = self._world.webhook
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._client.post(webhook.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    return self._webhook_failed(
                        f"Wrong response from the webhook: {response.status} {response.reason}"
                    )
                reply = await _method_in_reply(response)
        except (ClientError, TimeoutError) as error:
            return self._webhook_failed(f"Connection failed: {error!r}")
        self._world.drop_update(update["update_id"])
        if reply is not None:
            # A webhook may answer with a method call, which Telegram then runs.
            await self._execute(*reply)
        return True

    def _webhook_failed(self, message: str) -> bool:
        self._world.webhook.last_error_date = int(time.time())
        self._world.webhook.last_error_message = message
        return False


async def _method_in_reply(response: ClientResponse) -> tuple[str, Params] | None:
    if response.content_type.startswith("multipart/"):
        params = await Params.from_multipart(MultipartReader(response.headers, response.content))
    elif response.content_type == "application/json":
        body = await response.json()
        if not isinstance(body, dict):
            return None
        params = Params(body)
    else:
        return None
    method = params.values.pop("method", None)
    return (method, params) if isinstance(method, str) and method else None


def _update_chat(update: Json) -> Any:
    """The chat an update belongs to (its message's, or its sender's), for per-chat order."""
    payload = next((value for key, value in update.items() if key != "update_id"), None)
    if not isinstance(payload, dict):
        return None
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    if isinstance(chat, dict):
        return chat.get("id")
    sender = payload.get("from")
    return sender.get("id") if isinstance(sender, dict) else None


def _respond(body: Json) -> web.Response:
    status = 200 if body["ok"] else int(body["error_code"])
    return web.json_response(body, status=status)
