"""A local Telegram Bot API server, owned by the project, for end-to-end tests.

The bot under test connects over HTTP as to any local Bot API server; tests play its users::

    async with LocalBotAPI() as api:
        user = api.user(1001, "Айгүл", language_code="kk")
        ...  # start the bot with SANAT_BOT_TOKEN=api.token, SANAT_BOT_API_SERVER=api.base_url
        await user.send("/start")
        reply = await user.wait_for()
        await user.press(reply.buttons[0][0].text)
"""

from testing.telegram.driver import ButtonNotFoundError, UserDriver
from testing.telegram.limits import Fault, Limits
from testing.telegram.server import SECRET_HEADER, LocalBotAPI
from testing.telegram.wire import APIError, Json, Upload
from testing.telegram.world import BotMessage, Button, Call, CallbackAnswer, StoredFile, Webhook

__all__ = [
    "SECRET_HEADER",
    "APIError",
    "BotMessage",
    "Button",
    "ButtonNotFoundError",
    "Call",
    "CallbackAnswer",
    "Fault",
    "Json",
    "Limits",
    "LocalBotAPI",
    "StoredFile",
    "Upload",
    "UserDriver",
    "Webhook",
]
