"""Sanat's Telegram bot (aiogram 3): a thin client of the backend's services."""
