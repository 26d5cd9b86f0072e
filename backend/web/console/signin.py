"""Signing in to the console without a password: one-time links, the Login Widget, sessions.

A link is ``/console/login/<nonce>.<expiry>.<signature>``: the HMAC binds the nonce to one
Telegram user's Sanat id and the expiry, and the database keeps only ``sha256(nonce)`` with a
``used_at`` stamp, so a link works once, for ten minutes, and only for the user it was made for.
A session is a random token in the cookie, its hash in ``console_session`` with its CSRF token
and absolute expiry. No aiohttp here: the bot makes links with the same functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import ConsoleLink, ConsoleSession
from backend.settings import Settings

LOGIN_PATH = "/console/login/"
WIDGET_MAX_AGE = dt.timedelta(days=1)


def _key(settings: Settings) -> bytes:
    """The signing key: SANAT_WEB_CONSOLE_SECRET, else the API token pepper. Without either
    the links are still unguessable (256-bit nonces stored hashed) and single use."""
    secret = settings.web.console_secret or settings.web.api_tokens_pepper
    return (secret.get_secret_value() if secret else "").encode("utf-8")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _signature(settings: Settings, nonce: str, user_id: int, expiry: int) -> str:
    message = f"{nonce}.{user_id}.{expiry}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()[:32]


async def create_link(
    *, session: AsyncSession, settings: Settings, user_id: int, now: dt.datetime
) -> str:
    """A one-time sign-in URL for ``user_id``, valid ``console_link_minutes``."""
    nonce = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(minutes=settings.web.console_link_minutes)
    expiry = int(expires.timestamp())
    session.add(ConsoleLink(token_hash=_sha256(nonce), user_id=user_id, expires_at=expires))
    await session.commit()
    token = f"{nonce}.{expiry}.{_signature(settings, nonce, user_id, expiry)}"
    return settings.web.public_url.rstrip("/") + LOGIN_PATH + token


async def redeem_link(
    *, session: AsyncSession, settings: Settings, token: str, now: dt.datetime
) -> int | None:
    """The user id the link signs in, marking it used; None if forged, expired or used."""
    nonce, _, rest = token.partition(".")
    expiry_text, _, signature = rest.partition(".")
    if not nonce or not expiry_text.isdigit() or len(signature) != 32:
        return None
    if int(expiry_text) < now.timestamp():
        return None
    link = await session.get(ConsoleLink, _sha256(nonce))
    if link is None or link.used_at is not None or link.expires_at < now:
        return None
    expected = _signature(settings, nonce, link.user_id, int(expiry_text))
    if not hmac.compare_digest(expected, signature):
        return None
    # Single use even under two concurrent clicks: only one UPDATE finds used_at still NULL.
    result = await session.exec(
        update(ConsoleLink)
        .where(col(ConsoleLink.token_hash) == link.token_hash, col(ConsoleLink.used_at).is_(None))
        .values(used_at=now)
    )
    await session.commit()
    return link.user_id if result.rowcount == 1 else None


def widget_enabled(settings: Settings) -> bool:
    return bool(settings.bot.username and settings.bot.token and settings.web.public_url)


def verify_widget(settings: Settings, fields: Mapping[str, str], now: dt.datetime) -> int | None:
    """The Telegram user id of a Login Widget callback whose hash checks out, else None.

    As Telegram documents it: the data-check-string is every field but ``hash`` as
    ``key=value`` sorted by key and joined by newlines; the hash is its HMAC-SHA-256 under
    ``SHA256(bot token)``. ``auth_date`` older than a day is refused (a replayed callback).
    """
    if not widget_enabled(settings) or settings.bot.token is None:
        return None
    given = fields.get("hash", "")
    data = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret = hashlib.sha256(settings.bot.token.get_secret_value().encode()).digest()
    expected = hmac.new(secret, data.encode("utf-8"), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected, given):
        return None
    auth_date = fields.get("auth_date", "")
    telegram_id = fields.get("id", "")
    if not auth_date.isdigit() or not telegram_id.isdigit():
        return None
    if now - dt.datetime.fromtimestamp(int(auth_date), dt.UTC) > WIDGET_MAX_AGE:
        return None
    return int(telegram_id)


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    csrf_token: str
    language: str | None
    expires_at: dt.datetime


async def start_session(
    *,
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    language: str | None,
    now: dt.datetime,
) -> tuple[str, dt.datetime]:
    """A new session for ``user_id``: (the cookie's token, its expiry). Expired rows go."""
    await session.exec(delete(ConsoleSession).where(col(ConsoleSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=settings.web.console_session_hours)
    session.add(
        ConsoleSession(
            token_hash=_sha256(token),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(24),
            language=language,
            expires_at=expires,
        )
    )
    await session.commit()
    return token, expires


async def session_of(*, session: AsyncSession, token: str, now: dt.datetime) -> SignedIn | None:
    if not token or len(token) > 128:
        return None
    row = await session.get(ConsoleSession, _sha256(token))
    if row is None or row.expires_at < now:
        return None
    return SignedIn(row.user_id, row.csrf_token, row.language, row.expires_at)


async def set_session_language(*, session: AsyncSession, token: str, language: str) -> None:
    row = await session.get(ConsoleSession, _sha256(token))
    if row is not None:
        row.language = language
        await session.commit()


async def end_session(*, session: AsyncSession, token: str) -> None:
    await session.exec(
        delete(ConsoleSession).where(col(ConsoleSession.token_hash) == _sha256(token))
    )
    await session.commit()
