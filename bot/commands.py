"""Bot commands registered per language (setMyCommands with language_code)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "extract, translate later"
    return text


COMMANDS = (
    ("start", N_("Menu and self-assessment")),
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
LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "ru"  # clients in any other language see the Russian list


def commands_for(i18n: I18n, language: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.gettext(description, locale=language))
        for name, description in COMMANDS
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    for language in LANGUAGES:
        await bot.set_my_commands(commands_for(i18n, language), language_code=language)
    await bot.set_my_commands(commands_for(i18n, DEFAULT_LANGUAGE))
