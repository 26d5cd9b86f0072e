"""The Bot API methods the local server implements, one handler each, on a shared World."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from testing.telegram.markup import parse_html, validate_reply_markup
from testing.telegram.wire import APIError, Json, Params, Upload, bad_request
from testing.telegram.world import CallbackAnswer, ChatState, StoredFile, World

Handler = Callable[[Params], Awaitable[Any]]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_GET_FILE_BYTES = 20 * 1024 * 1024  # the cloud API's getFile limit; local mode has none
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}
# Setters a bot may call at start-up that change nothing the tests observe.
_ACCEPTED = ("sendChatAction", "setMyDescription", "setMyShortDescription", "setMyName")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class BotMethods:
    """Handlers by lower-cased method name (Telegram's method names are case-insensitive)."""

    def __init__(self, world: World, *, local_mode: bool) -> None:
        self._world = world
        self._local_mode = local_mode
        self._commands: dict[tuple[str, str], list[Json]] = {}
        self._poll_generation = 0
        self.closing = False  # set on shutdown so that a long poll answers at once
        self.waiting_polls = 0  # getUpdates calls waiting for updates now
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.accept,
            "close": self.accept,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
        }
        handlers.update(dict.fromkeys(_ACCEPTED, self.accept))
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}

    def lookup(self, method: str) -> Handler:
        try:
            return self._handlers[method.lower()]
        except KeyError:
            raise APIError(404, "Not Found: method not found") from None

    def commands(self, scope: Json | None, language_code: str) -> list[Json]:
        return self._commands.get(_command_key(scope, language_code), [])

    # Identity and lifecycle

    async def get_me(self, params: Params) -> Json:
        return self._world.bot

    async def accept(self, params: Params) -> bool:
        return True

    # Getting updates

    async def get_updates(self, params: Params) -> list[Json]:
        world = self._world
        if world.webhook.url:
            raise APIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        # A newer getUpdates ends an older one still waiting, as on Telegram: that is how a
        # second bot process polling with the same token shows up.
        self._poll_generation += 1
        generation = self._poll_generation
        world.changed.notify()  # wakes the older poll, which then answers 409
        if params.has("allowed_updates"):
            world.set_allowed_updates(params.get_json("allowed_updates"))
        world.confirm(params.get_int("offset"))
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get_int("timeout") or 0, 0)
        while True:
            if generation != self._poll_generation:
                raise APIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = world.deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing or world.webhook.url:
                return batch
            self.waiting_polls += 1
            world.changed.notify()  # for LocalBotAPI.wait_until_polling
            try:
                await world.changed.wait(remaining)
            finally:
                self.waiting_polls -= 1

    async def set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        if params.flag("drop_pending_updates"):
            self._world.updates.clear()
        if params.has("allowed_updates"):
            self._world.set_allowed_updates(params.get_json("allowed_updates"))
        webhook = self._world.webhook
        webhook.url = url
        webhook.secret_token = secret
        webhook.max_connections = params.get_int("max_connections") or 40
        webhook.last_error_date = webhook.last_error_message = None
        self._world.pending.notify()
        self._world.changed.notify()  # the delivery loop starts, a long poll ends
        return True

    async def delete_webhook(self, params: Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._world.updates.clear()
        self._world.webhook.url = ""
        self._world.webhook.secret_token = None
        self._world.changed.notify()
        return True

    async def get_webhook_info(self, params: Params) -> Json:
        webhook = self._world.webhook
        info: Json = {
            "url": webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._world.updates),
        }
        if webhook.url:
            info["max_connections"] = webhook.max_connections
            info["ip_address"] = "127.0.0.1"
        if self._world.allowed_updates:
            info["allowed_updates"] = sorted(self._world.allowed_updates)
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
        return info

    # Sending

    async def send_message(self, params: Params) -> Json:
        chat = self._chat_to_post_in(params)
        text, entities = _formatted(params, "text", "entities", limit=MAX_TEXT, required=True)
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        return self._post(chat, params, content)

    async def send_document(self, params: Params) -> Json:
        chat = self._chat_to_post_in(params)
        stored = self._file_param(params, "document", folder="documents")
        return self._post(chat, params, {"document": stored.document_json(), **_caption(params)})

    async def send_photo(self, params: Params) -> Json:
        chat = self._chat_to_post_in(params)
        stored = self._file_param(params, "photo", folder="photos")
        if not stored.data.startswith(_IMAGE_MAGIC):
            raise bad_request("IMAGE_PROCESS_FAILED")
        return self._post(chat, params, {"photo": [stored.photo_json()], **_caption(params)})

    async def copy_message(self, params: Params) -> Json:
        chat = self._chat_to_post_in(params)
        source = self._source_message(params, "message to copy not found")
        content = self._world.content_of(source)
        if params.has("caption") and "text" not in content:  # a new caption for media
            content.pop("caption_entities", None)
            content.update(_caption(params))
        message = self._post(chat, params, content)
        return {"message_id": message["message_id"]}

    async def forward_message(self, params: Params) -> Json:
        chat = self._chat_to_post_in(params)
        source = self._source_message(params, "message to forward not found")
        origin = source.get("forward_origin") or _origin(source)
        content = {**self._world.content_of(source), "forward_origin": origin}
        return self._post(chat, params, content, with_markup=False)

    # Editing

    async def edit_message_text(self, params: Params) -> Json:
        chat, message = self._message_to_edit(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = _formatted(params, "text", "entities", limit=MAX_TEXT, required=True)
        return self._edit(chat, message, params, {"text": text, "entities": entities})

    async def edit_message_caption(self, params: Params) -> Json:
        chat, message = self._message_to_edit(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = _formatted(
            params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
        )
        return self._edit(
            chat, message, params, {"caption": caption, "caption_entities": entities}
        )

    async def edit_message_reply_markup(self, params: Params) -> Json:
        chat, message = self._message_to_edit(params)
        return self._edit(chat, message, params, {})

    async def delete_message(self, params: Params) -> bool:
        chat = self._world.chat(params.values.get("chat_id"))
        message = chat.messages.pop(params.require_int("message_id"), None)
        if message is None:
            raise bad_request("message to delete not found")
        if message["message_id"] in chat.bot_message_ids:
            self._world.record(chat, "deleted", message)
        return True

    # Callback queries and commands

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        user_id = self._world.callback_queries.pop(query_id, None)
        if user_id is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id, user_id, text, params.flag("show_alert"), params.get_str("url")
        )
        self._world.callback_answers.append(answer)
        self._world.changed.notify()
        return True

    async def set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(
                str(command.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _command_key(params.get_json("scope"), params.get_str("language_code") or "")
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: Params) -> list[Json]:
        return self.commands(params.get_json("scope"), params.get_str("language_code") or "")

    async def delete_my_commands(self, params: Params) -> bool:
        key = _command_key(params.get_json("scope"), params.get_str("language_code") or "")
        self._commands.pop(key, None)
        return True

    # Files and chats

    async def get_file(self, params: Params) -> Json:
        stored = self._world.files.get(params.get_str("file_id") or "")
        if not self._local_mode and stored.size > MAX_GET_FILE_BYTES:
            raise bad_request("file is too big")
        return stored.file_json()

    async def get_chat(self, params: Params) -> Json:
        chat = self._world.chat(params.values.get("chat_id"))
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": _NO_GIFTS,
        }

    async def get_chat_member(self, params: Params) -> Json:
        chat = self._world.chat(params.values.get("chat_id"))
        user_id = params.require_int("user_id")
        user = self._world.users.get(user_id)
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        is_bot = user_id == self._world.bot["id"]
        if chat.type == "private":
            present = user_id == chat.id or is_bot
        elif is_bot:
            if chat.bot_is_admin:
                return _administrator(user)
            present = chat.type != "channel"  # in a channel a bot is an administrator or out
        else:
            present = user_id in chat.members
        return {"status": "member" if present else "left", "user": user}

    # Helpers

    def _chat_to_post_in(self, params: Params) -> ChatState:
        chat = self._world.chat(params.values.get("chat_id"))
        if chat.type == "channel" and not chat.bot_is_admin:
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def _post(
        self, chat: ChatState, params: Params, content: Json, *, with_markup: bool = True
    ) -> Json:
        markup = validate_reply_markup(params.get_json("reply_markup")) if with_markup else None
        reply_to = self._reply_to(chat, params)
        if reply_to is not None:
            content = {**content, "reply_to_message": reply_to}
        if markup is not None and "inline_keyboard" in markup:
            # Only inline keyboards belong to the message; a reply keyboard is the chat's.
            content = {**content, "reply_markup": markup}
        sender = (
            {"sender_chat": chat.info} if chat.type == "channel" else {"from": self._world.bot}
        )
        message = self._world.post(chat, sender, content, by_bot=True)
        self._world.update_reply_keyboard(chat, markup)
        self._world.record(chat, "sent", message)
        return message

    def _reply_to(self, chat: ChatState, params: Params) -> Json | None:
        reply = params.get_json("reply_parameters")
        message_id = reply.get("message_id") if isinstance(reply, dict) else None
        message_id = message_id or params.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        allow_missing = params.flag("allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def _file_param(self, params: Params, name: str, *, folder: str) -> StoredFile:
        """An uploaded file (a part, or "attach://part" as aiogram sends) or a known file_id."""
        upload: Upload | None = params.upload(name)
        reference = params.get_str(name) if upload is None else None
        if reference is not None and reference.startswith("attach://"):
            upload = params.upload(reference.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"wrong file identifier: {reference} is not in the request")
        if upload is not None:
            return self._world.files.add(
                upload.data,
                folder=folder,
                file_name=upload.filename if name == "document" else None,
                mime_type=upload.content_type if name == "document" else None,
            )
        if not reference:
            raise bad_request(f"there is no {name} in the request")
        return self._world.files.get(reference)

    def _source_message(self, params: Params, not_found: str) -> Json:
        source_chat = self._world.chat(params.values.get("from_chat_id"))
        message = source_chat.messages.get(params.require_int("message_id"))
        if message is None:
            raise bad_request(not_found)
        return message

    def _message_to_edit(self, params: Params) -> tuple[ChatState, Json]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self._world.chat(params.values.get("chat_id"))
        message = chat.messages.get(params.require_int("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if message["message_id"] not in chat.bot_message_ids:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit(self, chat: ChatState, message: Json, params: Params, changes: Json) -> Json:
        # Editing without a reply_markup removes the inline keyboard, as on Telegram.
        markup = validate_reply_markup(params.get_json("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        changes["reply_markup"] = markup
        if all(message.get(key) == (value or None) for key, value in changes.items()):
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = max(int(time.time()), message["date"])
        self._world.record(chat, "edited", message)
        return message


def _formatted(
    params: Params, name: str, entities_name: str, *, limit: int, required: bool
) -> tuple[str, list[Json]]:
    """A text or caption with its entities: parsed from HTML, given, or none."""
    raw = params.get_str(name) or ""
    parse_mode = (params.get_str("parse_mode") or "").lower()
    if parse_mode == "html":
        text, entities = parse_html(raw)
    else:
        # MarkdownV2 is not parsed: the text is kept as sent, which tests can still read.
        text, entities = raw, list(params.get_json(entities_name) or [])
    if required and not text.strip():
        raise bad_request(f"message {name} is empty")
    if len(text) > limit:
        raise bad_request(f"message {'is' if name == 'text' else 'caption is'} too long")
    return text, entities


def _caption(params: Params) -> Json:
    caption, entities = _formatted(
        params, "caption", "caption_entities", limit=MAX_CAPTION, required=False
    )
    content: Json = {}
    if caption:
        content["caption"] = caption
    if entities:
        content["caption_entities"] = entities
    return content


def _origin(message: Json) -> Json:
    if "sender_chat" in message and message["chat"]["type"] == "channel":
        return {
            "type": "channel",
            "date": message["date"],
            "chat": message["sender_chat"],
            "message_id": message["message_id"],
        }
    return {"type": "user", "date": message["date"], "sender_user": message["from"]}


def _command_key(scope: Any, language_code: str) -> tuple[str, str]:
    scope = scope if isinstance(scope, dict) and scope else {"type": "default"}
    return json.dumps(scope, sort_keys=True), language_code


def _administrator(user: Json) -> Json:
    rights = [
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_post_messages",
        "can_edit_messages",
        "can_pin_messages",
    ]
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        "can_send_welcome_messages": False,
        **dict.fromkeys(rights, True),
    }
