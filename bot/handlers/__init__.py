"""Routers in the order they must be tried: features first, errors, then the fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    admin,
    assessment,
    broadcasts,
    channels,
    checkins,
    courses,
    errors,
    fallback,
    menu,
    news,
    staff,
    start,
    university,
    web,
)


def create_routers() -> list[Router]:
    return [
        staff.create_router(),  # before menu: /start <invitation token> is a deep link
        menu.create_router(),
        start.create_router(),
        assessment.create_router(),
        courses.create_router(),
        checkins.create_router(),
        university.create_router(),
        news.create_router(),
        broadcasts.create_router(),
        admin.create_router(),  # admins grant the curator role
        channels.create_router(),
        web.create_router(),
        errors.create_router(),
        fallback.create_router(),
    ]
