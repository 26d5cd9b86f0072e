"""What the local server knows: chats and their messages, files, updates, webhook, queries.

Messages are kept as Telegram JSON, exactly what the Bot API returns, so answers need no
translation; ``BotMessage`` is the typed snapshot tests read.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from testing.telegram.markup import reply_button_text
from testing.telegram.wire import Json, bad_request

# Kinds of update a bot receives unless it lists them in allowed_updates (Bot API default).
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Keys of a message that are its content (what copyMessage and forwardMessage carry over).
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "document", "photo")


class Signal:
    """Wakes every waiter on each notify; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        """Until the next notify, or at most ``timeout`` seconds."""
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass


@dataclass(frozen=True)
class StoredFile:
    """A file uploaded by the bot or by a user, downloadable through getFile."""

    file_id: str
    file_unique_id: str
    file_path: str  # as getFile answers: absolute on disk in local mode, else relative
    disk_path: Path
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def file_json(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }

    def photo_json(self) -> Json:
        """A PhotoSize; a PNG's own size, else a plausible one (other formats aren't decoded)."""
        width, height = 800, 600
        if self.data.startswith(b"\x89PNG\r\n\x1a\n") and len(self.data) >= 24:
            width = int.from_bytes(self.data[16:20], "big")
            height = int.from_bytes(self.data[20:24], "big")
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "width": width,
            "height": height,
        }

    def document_json(self) -> Json:
        document: Json = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document


class FileStore:
    """Files on disk under ``root`` (set when the server starts), as the real server keeps them."""

    def __init__(self, *, local_mode: bool) -> None:
        self.root: Path | None = None
        self._local_mode = local_mode
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count()

    def add(
        self, data: bytes, *, folder: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        if self.root is None:
            raise RuntimeError("files are stored once the server has started")
        number = next(self._numbers)
        suffix = Path(file_name).suffix if file_name else ".jpg"
        disk_path = self.root / folder / f"file_{number}{suffix}"
        disk_path.parent.mkdir(parents=True, exist_ok=True)
        disk_path.write_bytes(data)
        relative = f"{folder}/file_{number}{suffix}"
        stored = StoredFile(
            # Shaped like Telegram's ids: opaque, URL-safe, distinct per upload.
            file_id=f"BQACAgIAAxkBAAI{number:06d}{hashlib.sha256(data).hexdigest()[:24]}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=str(disk_path) if self._local_mode else relative,
            disk_path=disk_path,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        self._by_path[relative] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        try:
            return self._by_id[file_id]
        except KeyError:
            raise bad_request("wrong file identifier/HTTP URL specified") from None

    def find(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


class Button(NamedTuple):
    """An inline button as the user sees it: its text and its callback_data or url."""

    text: str
    data: str | None


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a message the bot sent, as it looked at that moment."""

    message_id: int
    chat_id: int
    text: str | None  # the text, or a media message's caption
    buttons: list[list[Button]]
    raw: Json = field(repr=False)  # the Telegram JSON
    file: StoredFile | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, raw: Json, files: FileStore) -> BotMessage:
        raw = copy.deepcopy(raw)  # the stored message changes with later edits; this doesn't
        keyboard = (raw.get("reply_markup") or {}).get("inline_keyboard") or []
        attachment = raw.get("document") or (raw.get("photo") or [None])[-1]
        return cls(
            message_id=raw["message_id"],
            chat_id=raw["chat"]["id"],
            text=raw.get("text", raw.get("caption")),
            buttons=[
                [Button(b["text"], b.get("callback_data", b.get("url"))) for b in row]
                for row in keyboard
            ],
            raw=raw,
            file=files.find(attachment["file_id"]) if attachment else None,
        )

    @property
    def edited(self) -> bool:
        return "edit_date" in self.raw

    def find_button(self, text_or_data: str) -> Button | None:
        for row in self.buttons:
            for button in row:
                if text_or_data in (button.text, button.data):
                    return button
        return None


@dataclass(frozen=True)
class ChatEvent:
    """Something the bot did in a chat; ``seq`` orders events across all chats."""

    seq: int
    kind: Literal["sent", "edited", "deleted"]
    message: BotMessage


@dataclass(frozen=True)
class Call:
    """One Bot API call as the server saw it: ``at`` is the clock's time on arrival."""

    method: str
    params: Json
    at: float
    ok: bool
    error_code: int | None = None
    description: str | None = None
    result: Any = field(default=None, repr=False)

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass(frozen=True)
class CallbackAnswer:
    query_id: str
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class ChatState:
    info: Json  # the Chat object
    members: set[int] = field(default_factory=set)
    bot_is_admin: bool = True
    messages: dict[int, Json] = field(default_factory=dict)  # message_id → message, both sides
    bot_message_ids: set[int] = field(default_factory=set)
    events: list[ChatEvent] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None  # the keyboard the user currently sees
    # Notified on each event here: a user waiting for the bot wakes for their own chat only,
    # so hundreds of waiting users cost nothing while the bot is busy elsewhere.
    changed: Signal = field(default_factory=Signal)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def type(self) -> str:
        return str(self.info["type"])

    def next_message_id(self) -> int:
        return next(self._message_ids)


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class World:
    """The server's state; methods and the user driver both act through it."""

    def __init__(self, bot: Json, files: FileStore) -> None:
        self.bot = bot
        self.files = files
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, Json] = {bot["id"]: bot}
        self.updates: list[Json] = []  # pending: not yet confirmed or delivered
        self.allowed_updates: frozenset[str] | None = None
        self.webhook = Webhook()
        self.callback_queries: dict[str, int] = {}  # unanswered query id → user id
        self.callback_answers: list[CallbackAnswer] = []
        self.calls: list[Call] = []
        self.changed = Signal()  # anything happened: an update, a bot action, a call
        self.pending = Signal()  # an update was added, or the webhook changed
        self.seq = 0  # of the last ChatEvent
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # Chats

    def add_chat(self, info: Json, **options: Any) -> ChatState:
        if info["id"] in self.chats:
            raise ValueError(f"chat {info['id']} already exists")
        chat = ChatState(info=info, **options)
        self.chats[chat.id] = chat
        return chat

    def resolve_chat_id(self, value: Any) -> int | None:
        """A chat_id parameter (an id or an "@username") as a known chat id, else None."""
        if isinstance(value, int):
            return value if value in self.chats else None
        if isinstance(value, str) and value.startswith("@"):
            for chat in self.chats.values():
                if chat.info.get("username", "").lower() == value[1:].lower():
                    return chat.id
        return None

    def chat(self, value: Any) -> ChatState:
        chat_id = self.resolve_chat_id(value)
        if chat_id is None:
            raise bad_request("chat not found")
        return self.chats[chat_id]

    # Messages

    def post(self, chat: ChatState, sender: Json, content: Json, *, by_bot: bool) -> Json:
        """Add a message to a chat: ``sender`` is {"from": user} or {"sender_chat": chat}."""
        message: Json = {
            "message_id": chat.next_message_id(),
            "date": int(time.time()),
            "chat": chat.info,
            **sender,
            **content,
        }
        chat.messages[message["message_id"]] = message
        if by_bot:
            chat.bot_message_ids.add(message["message_id"])
        return message

    def record(
        self, chat: ChatState, kind: Literal["sent", "edited", "deleted"], raw: Json
    ) -> None:
        self.seq += 1
        chat.events.append(ChatEvent(self.seq, kind, BotMessage.from_json(raw, self.files)))
        chat.changed.notify()
        self.changed.notify()

    def bot_messages(self, chat: ChatState) -> list[BotMessage]:
        return [
            BotMessage.from_json(message, self.files)
            for message_id, message in chat.messages.items()
            if message_id in chat.bot_message_ids
        ]

    def update_reply_keyboard(self, chat: ChatState, markup: Json | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = [
                [reply_button_text(button) for button in row] for row in markup["keyboard"]
            ]
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    @staticmethod
    def content_of(message: Json) -> Json:
        return {key: message[key] for key in _CONTENT_KEYS if key in message}

    # Updates

    def push_update(self, kind: str, payload: Json) -> Json:
        # A copy: the update is what the bot sees now, whatever happens to the message later.
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        self.updates.append(update)
        self.pending.notify()
        self.changed.notify()
        return update

    def new_callback_query_id(self, user_id: int) -> str:
        query_id = f"{user_id}{next(self._query_ids):08d}"
        self.callback_queries[query_id] = user_id
        return query_id

    def confirm(self, offset: int | None) -> None:
        """getUpdates' offset: forget updates before it (a negative one keeps the last -N)."""
        if offset is None:
            return
        if offset < 0:
            del self.updates[:offset]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def deliverable(self, limit: int) -> list[Json]:
        """The oldest pending updates of allowed kinds; Telegram drops the other kinds."""
        self.updates = [u for u in self.updates if self._allowed(u)]
        return self.updates[:limit]

    def drop_update(self, update_id: int) -> None:
        self.updates = [u for u in self.updates if u["update_id"] != update_id]

    def _allowed(self, update: Json) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _NOT_BY_DEFAULT

    def set_allowed_updates(self, kinds: Iterable[str] | None) -> None:
        self.allowed_updates = frozenset(kinds) if kinds is not None else None
