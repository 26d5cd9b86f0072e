"""Callback data used by several features: the menu, the language choice, data deletion."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguageCallback(CallbackData, prefix="lang"):
    code: str  # kk | ru


class MenuCallback(CallbackData, prefix="m"):
    item: str  # assess | courses | reminders | news | org | bcast | lang | help | delete | home


class DeleteCallback(CallbackData, prefix="del"):
    confirm: bool
