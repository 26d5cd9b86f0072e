"""News topics a user receives broadcasts on, and the region used for audiences.

A ``TopicSubscription`` row is an explicit choice; a topic without a row follows its default
(``backend.directory.TOPICS``), so newcomers get the core topics without being asked.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.directory import REGION_CODES, TOPIC_CODES, TOPICS, UMO_TOPIC_PREFIX, is_topic
from backend.models import TopicSubscription, User
from backend.models.types import utcnow


class UnknownTopicError(ValueError):
    pass


class UnknownRegionError(ValueError):
    pass


async def topics_of(session: AsyncSession, user_id: int) -> dict[str, bool]:
    """Every topic (in directory order) with whether the user receives it."""
    rows = await session.exec(
        select(TopicSubscription).where(col(TopicSubscription.user_id) == user_id)
    )
    chosen = {row.topic: row.subscribed for row in rows.all()}
    return {topic.code: chosen.get(topic.code, topic.default_on) for topic in TOPICS}


async def set_topic(session: AsyncSession, user_id: int, topic: str, subscribed: bool) -> None:
    if not is_topic(topic):
        raise UnknownTopicError(topic)
    row = await session.get(TopicSubscription, (user_id, topic))
    if row is None:
        session.add(TopicSubscription(user_id=user_id, topic=topic, subscribed=subscribed))
    else:
        row.subscribed = subscribed
        row.updated_at = utcnow()
    await session.commit()


async def choose_umo_topic(session: AsyncSession, user_id: int, direction: str) -> None:
    """Receive the news of the UMO of ``direction`` (and of no other UMO).

    The one UMO row left is the training direction the person picked, even after they turn its
    news off (News keeps showing that topic); rows of directions picked before are removed
    (a UMO topic is off without a row).
    """
    code = f"{UMO_TOPIC_PREFIX}{direction}"
    if not is_topic(code):
        raise UnknownTopicError(code)
    rows = await session.exec(
        select(TopicSubscription).where(
            col(TopicSubscription.user_id) == user_id,
            col(TopicSubscription.topic).startswith(UMO_TOPIC_PREFIX),
        )
    )
    found = None
    for row in rows.all():
        if row.topic == code:
            found = row
        else:
            await session.delete(row)
    if found is None:
        session.add(TopicSubscription(user_id=user_id, topic=code, subscribed=True))
    else:
        found.subscribed = True
        found.updated_at = utcnow()
    await session.commit()


async def chosen_umo_direction(session: AsyncSession, user_id: int) -> str | None:
    """The training direction the person picked (whether its news are on or off): the UMO row
    left by ``choose_umo_topic``; of rows from before that rule, the subscribed or newest."""
    rows = await session.exec(
        select(TopicSubscription)
        .where(
            col(TopicSubscription.user_id) == user_id,
            col(TopicSubscription.topic).startswith(UMO_TOPIC_PREFIX),
        )
        .order_by(
            col(TopicSubscription.subscribed).desc(),
            col(TopicSubscription.updated_at).desc(),
            col(TopicSubscription.topic),
        )
    )
    for row in rows.all():
        if is_topic(row.topic):  # a direction no longer in the data is no choice
            return row.topic.removeprefix(UMO_TOPIC_PREFIX)
    return None


async def topics_with_umo(session: AsyncSession, user_id: int) -> dict[str, bool]:
    """``topics_of`` and, for someone who picked a training direction, its UMO topic last."""
    chosen = await topics_of(session, user_id)
    direction = await chosen_umo_direction(session, user_id)
    if direction is not None:
        code = f"{UMO_TOPIC_PREFIX}{direction}"
        row = await session.get(TopicSubscription, (user_id, code))
        chosen[code] = row is not None and row.subscribed
    return chosen


async def unsubscribe_all(session: AsyncSession, user_id: int) -> None:
    """Turn every topic off (a user who blocked the bot must not be targeted again)."""
    rows = await session.exec(
        select(TopicSubscription).where(col(TopicSubscription.user_id) == user_id)
    )
    existing = {row.topic: row for row in rows.all()}
    now = utcnow()
    for code in TOPIC_CODES | set(existing):  # the fixed topics and any UMO topic chosen
        row = existing.get(code)
        if row is None:
            session.add(TopicSubscription(user_id=user_id, topic=code, subscribed=False))
        else:
            row.subscribed = False
            row.updated_at = now
    await session.commit()


async def set_region(session: AsyncSession, user_id: int, region: str | None) -> None:
    if region is not None and region not in REGION_CODES:
        raise UnknownRegionError(region)
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    user.region = region
    user.updated_at = utcnow()
    await session.commit()


async def region_of(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(User, user_id)
    return None if user is None else user.region
