"""An error in a handler is logged with ids only and answered politely in the user's language."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    update = event.update
    log.exception("update failed", exc_info=event.exception, extra={"update_id": update.update_id})
    text = _("Something went wrong on our side. Your answers are kept; please try again.")
    if update.message is not None:
        await update.message.answer(text)
    elif update.callback_query is not None and update.callback_query.message is not None:
        # The query itself was already answered by CallbackAnswerMiddleware; write to the chat.
        await update.callback_query.message.answer(text)
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
