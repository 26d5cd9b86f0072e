"""Factories for the bot, its dispatcher and i18n; wired in ``bot.runner`` and the tests."""

from __future__ import annotations

import gc

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.utils.i18n import I18n

from backend.db import SessionPool
from backend.metrics import Metrics
from backend.rules.loader import Ruleset
from backend.settings import BotSettings, Settings
from bot.context import BotData
from bot.handlers import create_routers
from bot.middlewares import setup_middlewares
from bot.routing import route_callbacks_by_prefix
from bot.storage import SanatDispatcher

DOMAIN = "messages"


def create_bot(settings: BotSettings) -> Bot:
    if settings.token is None:
        raise ValueError("SANAT_BOT_TOKEN is not set")
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.api_server, is_local=True))
        if settings.api_server
        else AiohttpSession()
    )
    return Bot(
        settings.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_i18n(settings: Settings) -> I18n:
    return I18n(path=settings.locales_dir, default_locale="ru", domain=DOMAIN)


def create_dispatcher(
    *,
    settings: Settings,
    session_pool: SessionPool,
    ruleset: Ruleset,
    i18n: I18n,
    storage: BaseStorage | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    workflow_data = BotData(
        settings=settings, session_pool=session_pool, ruleset=ruleset, i18n=i18n
    )
    dp = SanatDispatcher(storage=storage or MemoryStorage(), **workflow_data)
    setup_middlewares(dp, session_pool=session_pool, i18n=i18n, metrics=metrics)
    dp.include_routers(*create_routers())
    route_callbacks_by_prefix(dp)
    return dp


def freeze_startup_objects() -> None:
    """Move everything alive after startup (modules, the ruleset, catalogs, the dispatcher) out
    of the garbage collector's sight: they live as long as the process, and scanning them again
    and again cost about 0.3 ms per dialog update (400 000 tracked objects, a collection every
    few updates). Garbage made before is collected first; objects made later are collected as
    usual."""
    gc.collect()
    gc.freeze()
