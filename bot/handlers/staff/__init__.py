"""Staff: their organisation's digest, invitations, the student link, the roster upload."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.staff import handlers, join, roster


def create_router() -> Router:
    router = Router(name=__name__)
    # The upload state's document handlers keep their place ahead of /start <token>, which
    # must still come before the menu's plain /start (this router is included first).
    router.include_routers(handlers.create_router(), roster.create_router(), join.create_router())
    return router
