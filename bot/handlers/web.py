"""/web: a one-time link to the web console (signed, single use, ten minutes, this user only)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _

from backend.models.types import utcnow
from backend.web.console.signin import create_link
from bot.context import BotContext


async def cmd_web(message: Message, ctx: BotContext) -> None:
    link = await create_link(
        session=ctx.session, settings=ctx.settings, user_id=ctx.user.id, now=utcnow()
    )
    minutes = ctx.settings.web.console_link_minutes
    await message.answer(
        _(
            "Your sign-in link to the Sanat console. It works once, for {minutes} minutes, "
            "and only for you; do not forward it:\n{link}"
        ).format(minutes=minutes, link=link),
        parse_mode=None,
        link_preview_options=LinkPreviewOptions(is_disabled=True),  # a preview would use it up
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_web, Command("web"))
    return router
