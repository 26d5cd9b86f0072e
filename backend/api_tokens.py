"""API tokens: create (the plain token is shown once), verify, revoke, list.

Only ``sha256(pepper + token)`` is stored; the pepper is ``SANAT_WEB_API_TOKENS_PEPPER``
(empty when unset). Each public function owns its transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from sqlmodel import col, select

from backend.db import SessionPool
from backend.models import ApiToken
from backend.models.api_token import ADMIN_SCOPE
from backend.models.types import utcnow
from backend.settings import Settings

TOKEN_PREFIX = "snt_"
SCOPED_KINDS = ("curator", "org")  # "curator:<user id>", "org:<organisation id>"
MAX_NAME = 120  # the column's length
LAST_USED_PRECISION = dt.timedelta(minutes=1)
SCOPE_PATTERN_HINT = 'scope is "admin", "curator:<user id>" or "org:<organisation id>"'

__all__ = [
    "ADMIN_SCOPE",
    "TOKEN_PREFIX",
    "ApiTokenNotFoundError",
    "CreatedToken",
    "create_token",
    "hash_token",
    "list_tokens",
    "pepper_of",
    "revoke_token",
    "valid_scope",
    "verify_token",
]


class ApiTokenNotFoundError(LookupError):
    pass


@dataclasses.dataclass(frozen=True)
class CreatedToken:
    record: ApiToken
    token: str  # the plain token: shown once, never stored


def pepper_of(settings: Settings) -> str:
    secret = settings.web.api_tokens_pepper
    return secret.get_secret_value() if secret is not None else ""


def hash_token(token: str, pepper: str) -> str:
    return hashlib.sha256((pepper + token).encode("utf-8")).hexdigest()


def valid_scope(scope: str) -> bool:
    if scope == ADMIN_SCOPE:
        return True
    kind, _, ident = scope.partition(":")
    # ASCII digits only: "٣".isdigit() is true, and no id is written that way.
    return kind in SCOPED_KINDS and ident.isascii() and ident.isdigit() and len(ident) <= 10


async def create_token(
    session_pool: SessionPool, *, name: str, pepper: str, scope: str = ADMIN_SCOPE
) -> CreatedToken:
    if not valid_scope(scope):
        raise ValueError(f"invalid scope {scope!r}: {SCOPE_PATTERN_HINT}")
    if not name.strip():
        raise ValueError("the token needs a name")
    if len(name.strip()) > MAX_NAME or not name.isprintable():
        raise ValueError(f"the name is at most {MAX_NAME} printable characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(name=name.strip(), token_hash=hash_token(token, pepper), scope=scope)
    async with session_pool() as session:
        session.add(record)
        await session.commit()
        await session.refresh(record)
    return CreatedToken(record=record, token=token)


async def verify_token(session_pool: SessionPool, token: str, *, pepper: str) -> ApiToken | None:
    """The live token record for ``token`` (its ``last_used_at`` updated), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token, pepper)
    async with session_pool() as session:
        record = (
            await session.exec(select(ApiToken).where(col(ApiToken.token_hash) == digest))
        ).first()
        if record is None or not hmac.compare_digest(record.token_hash, digest):
            return None
        if record.revoked_at is not None:
            return None
        now = utcnow()
        last = record.last_used_at
        if last is None or now - last >= LAST_USED_PRECISION:
            # At most one write a minute per token: a write per request would cap
            # authenticated requests on SQLite near 90 a second.
            record.last_used_at = now
            session.add(record)
            await session.commit()
            await session.refresh(record)
        return record


async def revoke_token(session_pool: SessionPool, token_id: int) -> ApiToken:
    """Revoke a token (idempotent); raise ``ApiTokenNotFoundError`` for an unknown id."""
    async with session_pool() as session:
        record = await session.get(ApiToken, token_id)
        if record is None:
            raise ApiTokenNotFoundError(token_id)
        if record.revoked_at is None:
            record.revoked_at = utcnow()
            session.add(record)
            await session.commit()
            await session.refresh(record)
        return record


async def list_tokens(session_pool: SessionPool) -> list[ApiToken]:
    async with session_pool() as session:
        return list((await session.exec(select(ApiToken).order_by(col(ApiToken.id)))).all())
