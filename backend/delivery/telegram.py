"""One send through aiogram (sendMessage, sendPhoto, sendDocument or copyMessage), its answer
reduced to what the outbox does next.

The backend uses aiogram's ``Bot`` only here, as the delivery worker's Telegram client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from backend.delivery.render import RenderedMessage
from backend.settings import BotSettings


@dataclass(frozen=True)
class Sent:
    message_id: int


@dataclass(frozen=True)
class RetryAfter:
    """429: Telegram asks the bot to send nothing for ``seconds``."""

    seconds: int
    description: str


@dataclass(frozen=True)
class Blocked:
    """403: the user blocked the bot, or a group or channel removed it."""

    description: str


@dataclass(frozen=True)
class Rejected:
    """A 400-like answer: the same request would fail again."""

    description: str


@dataclass(frozen=True)
class Transient:
    """Network trouble, 5xx or anything unexpected: worth another try later."""

    description: str
    network: bool = False  # no answer came (a timeout, a refused connection)


Outcome = Sent | RetryAfter | Blocked | Rejected | Transient


def result_label(outcome: Outcome) -> str:
    """The outcome as the ``result`` of the sends metric: ok, 429, 403, 400, 5xx, network."""
    match outcome:
        case Sent():
            return "ok"
        case RetryAfter():
            return "429"
        case Blocked():
            return "403"
        case Rejected():
            return "400"
        case Transient(network=True):
            return "network"
    return "5xx"


def build_bot(settings: BotSettings) -> Bot:
    """A Bot for delivery; a local Bot API server when ``SANAT_BOT_API_SERVER`` is set."""
    if settings.token is None:
        raise ValueError("SANAT_BOT_TOKEN is not set")
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.api_server, is_local=True))
        if settings.api_server
        else AiohttpSession()
    )
    return Bot(settings.token.get_secret_value(), session=session)


async def send(
    bot: Bot, chat_id: int, message: RenderedMessage, *, request_timeout: int
) -> Outcome:
    try:
        message_id = await _request(bot, chat_id, message, request_timeout)
    except ValueError as error:
        # A message the renderer built inconsistently, or a keyboard the Bot API types
        # refuse: the same request would fail again.
        return Rejected(f"invalid message: {error}")
    except TelegramRetryAfter as error:
        return RetryAfter(error.retry_after, error.message)
    except TelegramForbiddenError as error:
        return Blocked(error.message)
    except TelegramBadRequest as error:
        if message.kind == "edit" and "message is not modified" in error.message:
            # The message already shows this: what the edit wanted is there.
            return Sent(message.message_id or 0)
        return Rejected(error.message)
    except (TelegramNotFound, TelegramMigrateToChat) as error:
        # A group upgraded to a supergroup (MigrateToChat) needs its new id from whoever
        # enqueues; retrying the old one cannot succeed.
        return Rejected(error.message)
    except TelegramNetworkError as error:
        return Transient(f"{type(error).__name__}: {error.message}", network=True)
    except TelegramAPIError as error:
        # TelegramServerError and the codes aiogram does not classify.
        return Transient(f"{type(error).__name__}: {error.message}")
    except AiogramError as error:  # ClientDecodeError: an answer that is not the Bot API's
        return Transient(f"{type(error).__name__}: {error}")
    return Sent(message_id)


async def _request(bot: Bot, chat_id: int, message: RenderedMessage, wait: int) -> int:
    """The Bot API call for the message's kind; the id of the message it made.

    ValueError when the message lacks what its kind needs.
    """
    markup = (
        InlineKeyboardMarkup.model_validate(message.reply_markup)
        if message.reply_markup is not None
        else None
    )
    match message.kind:
        case "text":
            sent = await bot.send_message(
                chat_id,
                message.text,
                parse_mode=message.parse_mode,
                reply_markup=markup,
                request_timeout=wait,
            )
        case "photo":
            sent = await bot.send_photo(
                chat_id, _file_id(message), **_captioned(message, markup, wait)
            )
        case "document":
            sent = await bot.send_document(
                chat_id, _file_id(message), **_captioned(message, markup, wait)
            )
        case "upload":
            sent = await bot.send_document(
                chat_id, _upload(message), **_captioned(message, markup, wait)
            )
        case "copy":
            if message.from_chat_id is None or message.message_id is None:
                raise ValueError("a copy without its source message")
            copied = await bot.copy_message(
                chat_id,
                message.from_chat_id,
                message.message_id,
                reply_markup=markup,
                request_timeout=wait,
            )
            return copied.message_id
        case "edit":
            if message.message_id is None:
                raise ValueError("an edit without the message to edit")
            await bot.edit_message_text(
                text=message.text,
                chat_id=chat_id,
                message_id=message.message_id,
                parse_mode=message.parse_mode,
                reply_markup=markup,
                request_timeout=wait,
            )
            return message.message_id
        case _:
            raise ValueError(f"unknown message kind {message.kind!r}")
    return sent.message_id


def _captioned(
    message: RenderedMessage, markup: InlineKeyboardMarkup | None, wait: int
) -> dict[str, Any]:
    """The arguments a photo or document send shares: the text is its caption, and a parse mode
    applies only when there is a caption to parse.
    """
    caption = message.text or None
    return {
        "caption": caption,
        "parse_mode": message.parse_mode if caption else None,
        "reply_markup": markup,
        "request_timeout": wait,
    }


def _file_id(message: RenderedMessage) -> str:
    if not message.file_id:
        raise ValueError(f"a {message.kind} without a file_id")
    return message.file_id


def _upload(message: RenderedMessage) -> BufferedInputFile:
    if message.upload is None:
        raise ValueError("an upload without a file")
    return BufferedInputFile(message.upload.data, filename=message.upload.filename)
