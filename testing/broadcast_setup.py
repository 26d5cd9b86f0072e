"""A curator's broadcast to many teachers, set up the same way by ``bench.broadcast`` and by the
reliability test (``tests/broadcasts/test_reliability.py``): the recipients in one INSERT, each
known to the local Bot API server (2% of them blocked the bot), the broadcast created and
started by the broadcast service, and its outbox rows counted by status afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert
from sqlmodel import col, select

from backend.broadcasts import service as broadcasts
from backend.broadcasts.service import Audience
from backend.db import SessionPool
from backend.models import Notification, User
from testing.telegram import LocalBotAPI

BLOCKED_EVERY = 50  # 2% of recipients blocked the bot


@dataclass(frozen=True)
class BroadcastSetup:
    """Recipient ``n`` has Telegram id ``first_telegram_id + n``, the name "Мұғалім n" and the
    language ``languages[n % len(languages)]``; all live in ``region``. ``texts`` is the
    broadcast's text per language, with a ``{name}`` placeholder.
    """

    first_telegram_id: int
    languages: tuple[str, ...]
    region: str
    texts: dict[str, str]

    def telegram_id(self, n: int) -> int:
        return self.first_telegram_id + n

    def blocked(self, count: int) -> set[int]:
        """The Telegram ids, among ``count`` recipients, of those who blocked the bot."""
        return {self.telegram_id(n) for n in range(0, count, BLOCKED_EVERY)}

    def expected_text(self, n: int) -> str:
        """What recipient ``n`` should get: their language's variant (Russian when there is
        none, as for English speakers) with their name.
        """
        language = self.languages[n % len(self.languages)]
        variant = self.texts.get(language, self.texts["ru"])
        return variant.replace("{name}", _name(n))

    async def add_recipients(self, pool: SessionPool, api: LocalBotAPI, count: int) -> None:
        """``count`` teachers in one INSERT, each known to the server, the blocked ones blocked
        there; none chose a topic, so all get "news" by its default.
        """
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "telegram_id": self.telegram_id(n),
                "full_name": _name(n),
                "language": self.languages[n % len(self.languages)],
                "region": self.region,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ]
        async with pool() as session:
            await session.exec(insert(User), params=rows)
            await session.commit()
        for n in range(count):
            api.user(self.telegram_id(n), _name(n))
        for chat in self.blocked(count):
            api.block(chat)

    async def launch(self, pool: SessionPool, actor_id: int) -> tuple[int, int]:
        """Create the "news" broadcast to the region and start it: (its id, recipients)."""
        async with pool() as session:
            draft = await broadcasts.create_draft(
                session=session,
                actor_id=actor_id,
                content={lang: {"type": "text", "text": t} for lang, t in self.texts.items()},
                topic="news",
                audience=Audience(regions=(self.region,)),
            )
            assert draft.id is not None
            started = await broadcasts.start(
                session=session, actor_id=actor_id, broadcast_id=draft.id
            )
            return draft.id, started.recipient_count


async def statuses(pool: SessionPool, broadcast_id: int) -> Counter[str]:
    """How many of the broadcast's outbox rows are in each status."""
    async with pool() as session:
        query = select(Notification.status).where(col(Notification.broadcast_id) == broadcast_id)
        return Counter((await session.exec(query)).all())


def _name(n: int) -> str:
    return f"Мұғалім {n}"
