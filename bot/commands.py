"""The bot's command lists: everyone's list per client language (setMyCommands with
language_code), and a chat's own list (BotCommandScopeChat) in the language chosen in the bot,
with the section commands of the roles the person holds. A chat's own list is set when the
language is chosen, on /start and when a role is granted or withdrawn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import I18n

from backend.models import UserRead
from bot.shared.menu import CURATOR_ROLES, STAFF_ROLES

log = logging.getLogger(__name__)


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "extract, translate later"
    return text


COMMANDS = (
    ("start", N_("Menu and self-assessment")),
    ("menu", N_("The main menu")),
    ("courses", N_("My refresher courses")),
    ("news", N_("News topics and region")),
    ("broadcast", N_("Send a broadcast (curators)")),
    ("channels", N_("Channels and their links (curators)")),
    ("duty", N_("Monthly channel material (heads, HR)")),
    ("web", N_("Sign in to the web console")),
    ("language", N_("Change the language")),
    ("cancel", N_("Leave the current dialog")),
    ("help", N_("What Sanat does")),
)
# commands only some people may use: shown only in their chat's own list
ROLE_COMMANDS = {
    "broadcast": CURATOR_ROLES,
    "channels": CURATOR_ROLES,
    "duty": STAFF_ROLES,
}
LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "ru"  # clients in any other language see the Russian list


def commands_for(i18n: I18n, language: str, roles: Iterable[str] = ()) -> list[BotCommand]:
    """The commands someone holding ``roles`` may use, described in ``language``."""
    held = set(roles)
    return [
        BotCommand(command=name, description=i18n.gettext(description, locale=language))
        for name, description in COMMANDS
        if name not in ROLE_COMMANDS or held & ROLE_COMMANDS[name]
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """Everyone's list (no section commands), per client language."""
    for language in LANGUAGES:
        await bot.set_my_commands(commands_for(i18n, language), language_code=language)
    await bot.set_my_commands(commands_for(i18n, DEFAULT_LANGUAGE))


async def set_chat_commands(bot: Bot, i18n: I18n, user: UserRead) -> None:
    """The person's own list in their private chat: their language, their roles' commands.

    A failure (the chat is gone, Telegram is down) only loses the list, never the update."""
    language = user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE
    try:
        await bot.set_my_commands(
            commands_for(i18n, language, user.roles),
            scope=BotCommandScopeChat(chat_id=user.telegram_id),
        )
    except TelegramAPIError as error:
        log.warning("could not set a chat's commands: %s", type(error).__name__)
