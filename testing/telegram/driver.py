"""The user's side of a private chat: what a test does and sees as a Telegram user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from testing.telegram.markup import command_entities
from testing.telegram.wire import Json
from testing.telegram.world import BotMessage, CallbackAnswer, ChatState, World

_SHOWN_ON_FAILURE = 5


class ButtonNotFoundError(LookupError):
    """``press`` found no button with that text or callback_data."""


class UserDriver:
    """A Telegram user in their private chat with the bot (chat id = user id).

    Actions (``send``, ``press``…) become updates for the bot, like a Telegram client's, and
    return the update's payload. ``wait_for`` then waits for the bot's reaction: each call
    returns the next message the bot sent or edited in this chat since the last action.
    """

    def __init__(self, world: World, chat: ChatState, user: Json) -> None:
        self._world = world
        self._chat = chat
        self.info = user
        self._cursor = world.seq  # the last ChatEvent already seen by wait_for

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def chat_id(self) -> int:
        return self._chat.id

    # Actions

    async def send(self, text: str, *, reply_to: int | None = None) -> Json:
        """A text message; /commands in it get bot_command entities as clients add them."""
        content: Json = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._send(content, reply_to=reply_to)

    async def press(self, button: str, message: BotMessage | int | None = None) -> Json:
        """Press an inline button by its text or callback_data: on ``message``, else on the
        newest bot message that has it. A button of the current reply keyboard is sent as text.
        Returns the callback query (or, for a reply keyboard, the message).
        """
        if isinstance(message, BotMessage):
            message = message.message_id
        for raw in self._bot_messages_newest_first(message):
            found = _inline_button(raw, button)
            if found is None:
                continue
            if "callback_data" not in found:
                raise ButtonNotFoundError(
                    f"{found['text']!r} is not a callback button ({found}); pressing it sends "
                    "the bot nothing"
                )
            return self._callback_query(raw, found["callback_data"])
        keyboard = self._chat.reply_keyboard or []
        if message is None and any(button in row for row in keyboard):
            return self._send({"text": button})
        raise ButtonNotFoundError(self._no_button(button, message))

    async def send_document(
        self,
        filename: str,
        data: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> Json:
        stored = self._world.files.add(
            data, folder="documents", file_name=filename, mime_type=mime_type
        )
        return self._send({"document": stored.document_json(), **_caption(caption)})

    async def send_photo(self, data: bytes, *, caption: str | None = None) -> Json:
        stored = self._world.files.add(data, folder="photos", file_name=None, mime_type=None)
        return self._send({"photo": [stored.photo_json()], **_caption(caption)})

    async def forward_from_channel(
        self, channel_id: int, message_id: int | None = None, *, text: str | None = None
    ) -> Json:
        """Forward a channel post: an existing one by ``message_id``, or a new post with
        ``text`` (published in the channel first, as its admins would).
        """
        channel = self._world.chat(channel_id)
        if message_id is None:
            if text is None:
                raise ValueError("give the post's message_id or a text")
            post = self._world.post(
                channel, {"sender_chat": channel.info}, {"text": text}, by_bot=False
            )
            if channel.bot_is_admin:
                self._world.push_update("channel_post", post)
        else:
            if message_id not in channel.messages:
                raise LookupError(f"channel {channel_id} has no message {message_id}")
            post = channel.messages[message_id]
        origin = {
            "type": "channel",
            "chat": channel.info,
            "message_id": post["message_id"],
            "date": post["date"],
        }
        return self._send({**self._world.content_of(post), "forward_origin": origin})

    # What the user sees

    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat as they are now (after edits and deletions)."""
        return self._world.bot_messages(self._chat)

    def last(self) -> BotMessage:
        """The bot's newest message in this chat."""
        messages = self.messages()
        if not messages:
            raise LookupError(f"the bot has sent nothing to user {self.id}")
        return messages[-1]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard under the input field, if the bot has set one."""
        return self._chat.reply_keyboard

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answerCallbackQuery answers to this user's presses, oldest first."""
        return [a for a in self._world.callback_answers if a.user_id == self.id]

    async def wait_for(
        self, predicate: Callable[[BotMessage], bool] | None = None, timeout: float = 5.0
    ) -> BotMessage:
        """The next message the bot sends or edits here (that ``predicate`` accepts), as it
        was then; messages before it are skipped. Raises TimeoutError saying what did happen.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self._chat.events:
                if event.seq <= self._cursor or event.kind == "deleted":
                    continue
                if predicate is None or predicate(event.message):
                    self._cursor = event.seq
                    return event.message
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._nothing_new(timeout))
            await self._chat.changed.wait(remaining)

    # Internals

    def _send(self, content: Json, *, reply_to: int | None = None) -> Json:
        if reply_to is not None:
            if reply_to not in self._chat.messages:
                raise LookupError(f"no message {reply_to} to reply to")
            content = {**content, "reply_to_message": self._chat.messages[reply_to]}
        message = self._world.post(self._chat, {"from": self.info}, content, by_bot=False)
        self._acted()
        self._world.push_update("message", message)
        return message

    def _callback_query(self, message: Json, data: str) -> Json:
        query: Json = {
            "id": self._world.new_callback_query_id(self.id),
            "from": self.info,
            "message": message,
            "chat_instance": str(self.chat_id),
            "data": data,
        }
        self._acted()
        update = self._world.push_update("callback_query", query)
        payload: Json = update["callback_query"]
        return payload

    def _acted(self) -> None:
        # wait_for looks only past this point: replies to earlier actions don't count.
        self._cursor = self._world.seq

    def _bot_messages_newest_first(self, message_id: int | None) -> list[Json]:
        if message_id is not None:
            if message_id not in self._chat.bot_message_ids:
                raise ButtonNotFoundError(f"the bot has no message {message_id} here")
            return [self._chat.messages[message_id]]
        return [
            message
            for message_id, message in reversed(self._chat.messages.items())
            if message_id in self._chat.bot_message_ids
        ]

    def _no_button(self, button: str, message_id: int | None) -> str:
        where = f"message {message_id}" if message_id is not None else "the bot's messages"
        shown = [
            f"  {m.message_id}: {m.text!r} {m.buttons}"
            for m in self.messages()[-_SHOWN_ON_FAILURE:]
        ]
        return (
            f"no button {button!r} in {where} to user {self.id}; newest messages:\n"
            + ("\n".join(shown) or "  (none)")
            + f"\nreply keyboard: {self._chat.reply_keyboard}"
        )

    def _nothing_new(self, timeout: float) -> str:
        failed = [
            f"  {c.method} → {c.error_code} {c.description}"
            for c in self._world.calls
            if not c.ok and c.chat_id in (self.chat_id, str(self.chat_id))
        ][-_SHOWN_ON_FAILURE:]
        last = self.messages()[-1:] or "nothing"
        return (
            f"the bot sent or edited nothing new for user {self.id} in {timeout}s "
            f"(its newest message: {last}); its failed calls to this chat:\n"
            + ("\n".join(failed) or "  (none)")
        )


def _inline_button(message: Json, text_or_data: str) -> Json | None:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            if text_or_data in (button.get("text"), button.get("callback_data")):
                return dict(button)
    return None


def _caption(caption: str | None) -> Json:
    return {"caption": caption} if caption else {}
