"""Self-checks of university teaching staff: store one, list them, and the result (strengths,
areas to develop with their labour function and skill, comparison with the previous one).

Each public function that writes owns its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import UniversitySelfCheck
from backend.university.cards import SCALE, STRONG_FROM, Item, load_cards


class SelfCheckInputError(ValueError):
    """``code``: card (no such card), items (not every item of the card rated exactly once),
    rating (a value off the 0-3 scale)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def validate_ratings(card: int, ratings: Mapping[str, Any]) -> dict[str, int]:
    catalog = load_cards()
    if catalog.card(card) is None:
        raise SelfCheckInputError("card")
    expected = {item.id for item in catalog.items_of(card)}
    if set(ratings) != expected:
        raise SelfCheckInputError("items")
    clean: dict[str, int] = {}
    for item_id, value in ratings.items():
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise SelfCheckInputError("rating")
        clean[item_id] = value
    return clean


async def save_self_check(
    *, session: AsyncSession, user_id: int, card: int, ratings: Mapping[str, Any]
) -> UniversitySelfCheck:
    record = UniversitySelfCheck(
        user_id=user_id, card=card, ratings=validate_ratings(card, ratings)
    )
    session.add(record)
    await session.commit()
    await session.refresh(record)
    return record


async def list_self_checks(
    *, session: AsyncSession, user_id: int, card: int | None = None
) -> list[UniversitySelfCheck]:
    """Oldest first."""
    query = select(UniversitySelfCheck).where(UniversitySelfCheck.user_id == user_id)
    if card is not None:
        query = query.where(UniversitySelfCheck.card == card)
    query = query.order_by(col(UniversitySelfCheck.created_at), col(UniversitySelfCheck.id))
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class Change:
    item: Item
    before: int
    after: int


@dataclass(frozen=True)
class SelfCheckResult:
    card: int
    score: int  # sum of the ratings
    top: int  # the highest possible sum
    strengths: list[Item] = field(default_factory=list)
    to_develop: list[Item] = field(default_factory=list)
    previous_score: int | None = None
    improved: list[Change] = field(default_factory=list)
    declined: list[Change] = field(default_factory=list)


def result_of(
    card: int, ratings: Mapping[str, int], previous: Mapping[str, int] | None = None
) -> SelfCheckResult:
    items = load_cards().items_of(card)
    strengths = [item for item in items if ratings[item.id] >= STRONG_FROM]
    to_develop = [item for item in items if ratings[item.id] < STRONG_FROM]
    improved: list[Change] = []
    declined: list[Change] = []
    previous_score = None
    if previous is not None:
        shared = [item for item in items if item.id in previous]
        previous_score = sum(int(previous[item.id]) for item in shared)
        for item in shared:
            before, after = int(previous[item.id]), ratings[item.id]
            if after > before:
                improved.append(Change(item, before, after))
            elif after < before:
                declined.append(Change(item, before, after))
    return SelfCheckResult(
        card=card,
        score=sum(ratings[item.id] for item in items),
        top=max(SCALE) * len(items),
        strengths=strengths,
        to_develop=to_develop,
        previous_score=previous_score,
        improved=improved,
        declined=declined,
    )


async def latest_result(
    *, session: AsyncSession, user_id: int, card: int
) -> tuple[UniversitySelfCheck, SelfCheckResult] | None:
    """The newest self-check of ``card`` with its result, compared with the one before it."""
    checks = await list_self_checks(session=session, user_id=user_id, card=card)
    if not checks:
        return None
    latest = checks[-1]
    previous = checks[-2].ratings if len(checks) > 1 else None
    return latest, result_of(card, latest.ratings, previous)
