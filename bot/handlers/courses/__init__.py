"""Refresher courses: My courses and its reminders, adding a course, changing a recorded one."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.courses import add, edit, handlers


def create_router() -> Router:
    router = Router(name=__name__)
    # My courses first: it leaves add's and edit's CourseCallback actions to them.
    router.include_routers(handlers.create_router(), add.create_router(), edit.create_router())
    return router
