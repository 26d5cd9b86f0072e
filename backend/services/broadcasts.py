"""Curator broadcasts: draft, audience count, schedule or send, pause, resume, cancel, progress,
report. Delivery goes through the notification outbox (one row per recipient, ``broadcast_id``
set), so the delivery worker's limits, retries and 403 handling apply.

Each public function owns its transaction. ``actor_id`` is the curator (or admin) acting: a
curator may only act on their own broadcasts and only reach people inside their scope
(``OutOfScopeError`` otherwise).

A message variant (``content[lang]``) is one of::

    {"type": "text", "text": str, "parse_mode": "HTML" | None}
    {"type": "photo", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "document", "file_id": str, "caption": str | None, "parse_mode": "HTML" | None}
    {"type": "copy", "from_chat_id": int, "message_id": int}   # a forwarded channel post

with ``{name}`` placeholders in text/caption filled per recipient.

The audience is one SQL condition over ``user`` (see ``_recipients_where``), used both to count
and to enqueue with a single ``INSERT … SELECT``, so 20 000 recipients cost one statement. The
outbox rows are the per-recipient record: their status is each recipient's status, and a
broadcast survives restarts because nothing about its progress lives in memory.

A user's current category is ``TeacherProfile.current_category``: backend.services.assessments
saves it from the ``current_category`` answer of the teacher's latest saved assessment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Integer, String, and_, case, cast, func, literal, literal_column, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import directory
from backend.exports import Cell, to_csv
from backend.models import (
    Broadcast,
    Channel,
    Membership,
    Notification,
    Organisation,
    TeacherProfile,
    TopicSubscription,
    User,
    UserRole,
)
from backend.models.types import UTCDateTime, utcnow
from backend.services import channels
from backend.services.curators import Scope, is_admin, scope_of

log = logging.getLogger(__name__)
Variant = dict[str, Any]
RoleFilter = Literal["teachers", "staff", "students"]
ROLE_FILTERS: tuple[RoleFilter, ...] = ("teachers", "staff", "students")
# A role filter matches the global role or an organisation membership with that function.
_ROLE_MATCH: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "teachers": (("teacher",), ("teacher",)),
    "staff": (("staff",), ("head", "hr", "methodist")),
    "students": (("student",), ()),
}
LANGUAGES = ("kk", "ru")
VARIANT_TYPES = ("text", "photo", "document", "copy")
MAX_TEXT = 4096  # Telegram's limit for a message text
MAX_CAPTION = 1024  # … and for a media caption
KIND = "broadcast"
FINAL_STATUSES = ("done", "cancelled")
# Outbox statuses of a recipient still waiting: "held" is a paused broadcast's pending row.
WAITING = ("pending", "sending", "held")


@dataclass(frozen=True)
class Audience:
    """Who receives a broadcast: everyone in the curator's scope narrowed by each set filter."""

    roles: tuple[RoleFilter, ...] = ()  # empty: any role
    regions: tuple[str, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()  # current category codes of the rules data
    # the broadcast's topic always applies: only people subscribed to it receive it

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "regions": list(self.regions),
            "organisation_ids": list(self.organisation_ids),
            "categories": list(self.categories),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            roles=tuple(data.get("roles") or ()),
            regions=tuple(data.get("regions") or ()),
            organisation_ids=tuple(int(i) for i in data.get("organisation_ids") or ()),
            categories=tuple(data.get("categories") or ()),
        )


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    status: str  # draft | scheduled | running | paused | done | cancelled
    total: int
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int
    eta_seconds: float | None  # None when nothing remains or the rate is unknown
    scheduled_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class BroadcastNotFoundError(LookupError):
    pass


class OutOfScopeError(PermissionError):
    """The audience, channel or broadcast lies outside what the actor may reach."""


class BroadcastStateError(ValueError):
    """The action does not fit the broadcast's status (e.g. resume a finished one)."""


class BroadcastInputError(ValueError):
    """Bad content, topic or audience; ``problems`` lists (field, code) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(f"{f}: {c}" for f, c in problems))
        self.problems = problems


# --- validation ---------------------------------------------------------------------------


def _check_text(
    problems: list[tuple[str, str]], field_name: str, value: object, limit: int, required: bool
) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append((field_name, "required" if required else "invalid"))
    elif len(value) > limit:
        problems.append((field_name, "too_long"))


def _validate_variant(problems: list[tuple[str, str]], lang: str, variant: object) -> None:
    where = f"content.{lang}"
    if not isinstance(variant, dict):
        problems.append((where, "invalid"))
        return
    kind = variant.get("type")
    if kind not in VARIANT_TYPES:
        problems.append((f"{where}.type", "unknown"))
        return
    if variant.get("parse_mode") not in (None, "HTML"):
        problems.append((f"{where}.parse_mode", "unknown"))
    if kind == "text":
        _check_text(problems, f"{where}.text", variant.get("text"), MAX_TEXT, required=True)
    elif kind in ("photo", "document"):
        file_id = variant.get("file_id")
        if not isinstance(file_id, str) or not file_id:
            problems.append((f"{where}.file_id", "required"))
        _check_text(problems, f"{where}.caption", variant.get("caption"), MAX_CAPTION, False)
    else:
        for key in ("from_chat_id", "message_id"):
            value = variant.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append((f"{where}.{key}", "required"))


async def _validate(
    session: AsyncSession, content: object, topic: str, audience: Audience
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not isinstance(content, dict) or not content:
        problems.append(("content", "required"))
    else:
        for lang, variant in content.items():
            if lang not in LANGUAGES:
                problems.append((f"content.{lang}", "unknown_language"))
            else:
                _validate_variant(problems, lang, variant)
    if topic not in directory.TOPIC_CODES:
        problems.append(("topic", "unknown"))
    if any(role not in ROLE_FILTERS for role in audience.roles):
        problems.append(("audience.roles", "unknown"))
    if any(code not in directory.REGION_CODES for code in audience.regions):
        problems.append(("audience.regions", "unknown"))
    if audience.organisation_ids:
        found = set(
            (
                await session.exec(
                    select(Organisation.id).where(
                        col(Organisation.id).in_(audience.organisation_ids)
                    )
                )
            ).all()
        )
        if set(audience.organisation_ids) - found:
            problems.append(("audience.organisation_ids", "unknown"))
    if any(not isinstance(c, str) or not c for c in audience.categories):
        problems.append(("audience.categories", "invalid"))
    return problems


def text_sha256(content: dict[str, Variant]) -> str:
    """Audit fingerprint of what was sent: SHA-256 of the variants' canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- scope and audience -------------------------------------------------------------------


async def _org_regions(session: AsyncSession, ids: Sequence[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = await session.exec(
        select(Organisation.id, Organisation.region).where(col(Organisation.id).in_(ids))
    )
    return {int(i): region for i, region in rows.all() if i is not None}


async def _check_in_scope(session: AsyncSession, scope: Scope, audience: Audience) -> None:
    """OutOfScopeError when the audience names a region or organisation outside the scope.

    Narrower filters are fine; the scope is also applied to the query itself, so people the
    curator may not reach are never counted or sent to.
    """
    if scope.kind == "everyone":
        return
    if scope.kind == "region":
        allowed = set(scope.regions)
        outside_regions = [r for r in audience.regions if r not in allowed]
        org_regions = await _org_regions(session, audience.organisation_ids)
        outside_orgs = [i for i, r in org_regions.items() if r not in allowed]
    else:
        allowed_orgs = set(scope.organisation_ids)
        outside_orgs = [i for i in audience.organisation_ids if i not in allowed_orgs]
        scope_regions = set((await _org_regions(session, scope.organisation_ids)).values())
        outside_regions = [r for r in audience.regions if r not in scope_regions]
    if outside_regions or outside_orgs:
        raise OutOfScopeError(
            f"outside your scope: regions {outside_regions}, organisations {outside_orgs}"
        )


def _in_regions(regions: Sequence[str]) -> ColumnElement[bool]:
    member_of_org_there = (
        select(Membership.id)
        .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
        .where(col(Membership.user_id) == col(User.id))
        .where(col(Organisation.region).in_(regions))
        .exists()
    )
    return or_(col(User.region).in_(regions), member_of_org_there)


def _in_orgs(ids: Sequence[int]) -> ColumnElement[bool]:
    return (
        select(Membership.id)
        .where(col(Membership.user_id) == col(User.id))
        .where(col(Membership.organisation_id).in_(ids))
        .exists()
    )


def _has_roles(roles: Sequence[str]) -> ColumnElement[bool]:
    global_roles = sorted({r for role in roles for r in _ROLE_MATCH[role][0]})
    member_roles = sorted({r for role in roles for r in _ROLE_MATCH[role][1]})
    conditions = [
        select(UserRole.user_id)
        .where(col(UserRole.user_id) == col(User.id))
        .where(col(UserRole.role).in_(global_roles))
        .exists()
    ]
    if member_roles:
        conditions.append(
            select(Membership.id)
            .where(col(Membership.user_id) == col(User.id))
            .where(col(Membership.role).in_(member_roles))
            .exists()
        )
    return or_(*conditions)


def _subscribed(topic: str) -> ColumnElement[bool]:
    def choice(subscribed: bool) -> ColumnElement[bool]:
        return (
            select(TopicSubscription.user_id)
            .where(col(TopicSubscription.user_id) == col(User.id))
            .where(col(TopicSubscription.topic) == topic)
            .where(col(TopicSubscription.subscribed).is_(subscribed))
            .exists()
        )

    # No row means the topic's default.
    return ~choice(False) if directory.topic(topic).default_on else choice(True)


def _recipients_where(scope: Scope, topic: str, audience: Audience) -> list[ColumnElement[bool]]:
    """Who receives: reachable, subscribed, matching every set filter, inside the scope."""
    conditions: list[ColumnElement[bool]] = [
        col(User.unreachable_at).is_(None),
        _subscribed(topic),
    ]
    if scope.kind == "region":
        conditions.append(_in_regions(scope.regions))
    elif scope.kind == "orgs":
        conditions.append(_in_orgs(scope.organisation_ids or (-1,)))
    if audience.roles:
        conditions.append(_has_roles(audience.roles))
    if audience.regions:
        conditions.append(_in_regions(audience.regions))
    if audience.organisation_ids:
        conditions.append(_in_orgs(audience.organisation_ids))
    if audience.categories:
        conditions.append(
            select(TeacherProfile.user_id)
            .where(col(TeacherProfile.user_id) == col(User.id))
            .where(col(TeacherProfile.current_category).in_(audience.categories))
            .exists()
        )
    return conditions


async def _count(session: AsyncSession, scope: Scope, topic: str, audience: Audience) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(and_(*_recipients_where(scope, topic, audience)))
    )
    return int((await session.exec(query)).one())


async def _actor_scope(session: AsyncSession, actor_id: int) -> Scope:
    """The actor's scope; NotCuratorError (a PermissionError) for anyone else."""
    return await scope_of(session=session, user_id=actor_id)


async def _channel_allowed(session: AsyncSession, actor_id: int, channel: Channel) -> bool:
    """One rule for who may post where: backend.services.channels.list_channels."""
    allowed = await channels.list_channels(session, actor_id)
    return any(candidate.id == channel.id for candidate in allowed)


# --- outbox rows --------------------------------------------------------------------------

_UNSUBSCRIBE: dict[str, str] = {
    "kk": "🔕 «{topic}» тақырыбынан жазылымнан шығу",
    "ru": "🔕 Отписаться от темы «{topic}»",
    "en": "🔕 Unsubscribe from “{topic}”",
}


def unsubscribe_buttons(topic: str) -> list[list[dict[str, Any]]]:
    entry = directory.topic(topic)
    text = {
        lang: template.format(topic=entry.name(lang)) for lang, template in _UNSUBSCRIBE.items()
    }
    return [[{"text": text, "callback_data": f"unsub:{topic}"}]]


def _payload_expr(dialect: str, message_json: str, buttons_json: str) -> ColumnElement[Any]:
    """The per-recipient payload built in SQL: the recipient's name is filled in per row."""
    name = func.coalesce(col(User.full_name), col(User.username), literal("", String))
    if dialect == "postgresql":
        return func.jsonb_build_object(
            literal_column("'message'"),
            cast(literal(message_json, String), JSONB),
            literal_column("'params'"),
            func.jsonb_build_object(literal_column("'name'"), name),
            literal_column("'buttons'"),
            cast(literal(buttons_json, String), JSONB),
        )
    return func.json_object(
        literal_column("'message'"),
        func.json(literal(message_json, String)),
        literal_column("'params'"),
        func.json_object(literal_column("'name'"), name),
        literal_column("'buttons'"),
        func.json(literal(buttons_json, String)),
    )


async def _enqueue(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> int:
    """Write the broadcast's outbox rows (idempotent by dedupe key); the number of rows."""
    assert broadcast.id is not None
    bid = broadcast.id
    dialect = (await session.connection()).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if broadcast.channel_id is not None:
        channel = await session.get(Channel, broadcast.channel_id)
        if channel is None or not channel.active:
            raise BroadcastStateError("the channel is no longer registered")
        stmt = insert(Notification).values(
            user_id=None,
            chat_id=channel.chat_id,
            broadcast_id=bid,
            kind=KIND,
            dedupe_key=f"bc:{bid}:chat:{channel.chat_id}",
            payload={"message": broadcast.content, "params": {"name": ""}},
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    else:
        scope = await _actor_scope(session, broadcast.curator_id)
        audience = Audience.from_json(broadcast.audience)
        message_json = json.dumps(broadcast.content, ensure_ascii=False)
        buttons_json = json.dumps(unsubscribe_buttons(broadcast.topic), ensure_ascii=False)
        rows = sa_select(
            col(User.id),
            col(User.telegram_id),
            literal(bid, Integer),
            literal(KIND, String),
            literal(f"bc:{bid}:", String) + cast(col(User.id), String),
            _payload_expr(dialect, message_json, buttons_json),
            literal("pending", String),
            literal(0, Integer),
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
        ).where(and_(*_recipients_where(scope, broadcast.topic, audience)))
        stmt = insert(Notification).from_select(
            [
                "user_id",
                "chat_id",
                "broadcast_id",
                "kind",
                "dedupe_key",
                "payload",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
            ],
            rows,
        )
    await session.exec(stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    total = await session.exec(
        select(func.count()).select_from(Notification).where(col(Notification.broadcast_id) == bid)
    )
    return int(total.one())


async def _set_rows(
    session: AsyncSession, broadcast_id: int, from_statuses: Sequence[str], to: str
) -> None:
    await session.exec(
        update(Notification)
        .where(col(Notification.broadcast_id) == broadcast_id)
        .where(col(Notification.status).in_(from_statuses))
        .values(status=to)
        .execution_options(synchronize_session=False)
    )


# --- public API ---------------------------------------------------------------------------


async def create_draft(
    *,
    session: AsyncSession,
    actor_id: int,
    content: dict[str, Variant],  # language → variant; one or both of "kk", "ru"
    topic: str,
    audience: Audience,
    channel_id: int | None = None,  # post to a registered channel instead of people
    created_via: Literal["bot", "api"] = "bot",
) -> Broadcast:
    scope = await _actor_scope(session, actor_id)
    problems = await _validate(session, content, topic, audience)
    if problems:
        raise BroadcastInputError(problems)
    await _check_in_scope(session, scope, audience)
    if channel_id is not None:
        channel = await session.get(Channel, channel_id)
        if channel is None:
            raise BroadcastInputError([("channel_id", "unknown")])
        if not await _channel_allowed(session, actor_id, channel):
            raise OutOfScopeError(f"channel {channel_id} is outside your scope")
    broadcast = Broadcast(
        curator_id=actor_id,
        topic=topic,
        audience=audience.to_json(),
        content=content,
        text_sha256=text_sha256(content),
        channel_id=channel_id,
        created_via=created_via,
    )
    session.add(broadcast)
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def count_recipients(
    *, session: AsyncSession, actor_id: int, topic: str, audience: Audience
) -> int:
    """The exact number of people the audience reaches now (inside the actor's scope)."""
    scope = await _actor_scope(session, actor_id)
    problems = await _validate(session, {"ru": {"type": "text", "text": "-"}}, topic, audience)
    if problems:
        raise BroadcastInputError(problems)
    await _check_in_scope(session, scope, audience)
    return await _count(session, scope, topic, audience)


async def _own(session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    """The broadcast if the actor may act on it: its curator (still a curator) or an admin."""
    await _actor_scope(session, actor_id)
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    if broadcast.curator_id != actor_id and not await is_admin(session=session, user_id=actor_id):
        raise OutOfScopeError(f"broadcast {broadcast_id} belongs to another curator")
    return broadcast


def _require(broadcast: Broadcast, *allowed: str) -> None:
    if broadcast.status not in allowed:
        raise BroadcastStateError(
            f"broadcast {broadcast.id} is {broadcast.status}, expected {' or '.join(allowed)}"
        )


async def start(
    *,
    session: AsyncSession,
    actor_id: int,
    broadcast_id: int,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Broadcast:
    """Send now (``at`` None) or schedule for ``at`` (aware; stored UTC).

    A scheduled broadcast may be rescheduled or sent at once.
    """
    now = now or utcnow()
    broadcast = await _own(session, actor_id, broadcast_id)
    _require(broadcast, "draft", "scheduled")
    if at is not None:
        if at.tzinfo is None:
            raise BroadcastInputError([("send_at", "naive")])
        if at <= now:
            raise BroadcastInputError([("send_at", "past")])
        broadcast.status = "scheduled"
        broadcast.scheduled_at = at.astimezone(dt.UTC)
        await session.commit()
        await session.refresh(broadcast)
        return broadcast
    return await _launch(session, broadcast, now)


async def _launch(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> Broadcast:
    # Status, rows and count in one transaction: after a crash either all exist or none.
    broadcast.status = "running"
    broadcast.started_at = now
    broadcast.recipient_count = await _enqueue(session, broadcast, now)
    if broadcast.recipient_count == 0:
        broadcast.status = "done"
        broadcast.finished_at = now
    await session.commit()
    await session.refresh(broadcast)
    # The audit trail: who sent what (by hash) to whom and how many, next to the row itself.
    log.info(
        "broadcast started",
        extra={
            "broadcast_id": broadcast.id,
            "curator_id": broadcast.curator_id,
            "topic": broadcast.topic,
            "audience": broadcast.audience,
            "channel_id": broadcast.channel_id,
            "text_sha256": broadcast.text_sha256,
            "recipient_count": broadcast.recipient_count,
        },
    )
    return broadcast


async def start_due(*, session: AsyncSession, now: dt.datetime) -> list[int]:
    """Start every scheduled broadcast whose time has come; their ids."""
    due = (
        await session.exec(
            select(Broadcast.id)
            .where(col(Broadcast.status) == "scheduled")
            .where(col(Broadcast.scheduled_at) <= now)
            .order_by(col(Broadcast.scheduled_at))
        )
    ).all()
    started: list[int] = []
    for broadcast_id in due:
        assert broadcast_id is not None
        # Claim it first so two tickers never start the same broadcast twice.
        claimed = await session.exec(
            update(Broadcast)
            .where(col(Broadcast.id) == broadcast_id)
            .where(col(Broadcast.status) == "scheduled")
            .values(status="running")
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:
            await session.rollback()
            continue
        broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
        assert broadcast is not None
        try:
            await _launch(session, broadcast, now)
        except PermissionError:
            # The curator lost the role since scheduling: nobody is sent anything.
            await session.rollback()
            await session.exec(
                update(Broadcast)
                .where(col(Broadcast.id) == broadcast_id)
                .values(status="cancelled", finished_at=now)
            )
            await session.commit()
            continue
        started.append(broadcast_id)
    return started


async def pause(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    broadcast = await _own(session, actor_id, broadcast_id)
    _require(broadcast, "running")
    await _set_rows(session, broadcast_id, ("pending",), "held")
    broadcast.status = "paused"
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def resume(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    broadcast = await _own(session, actor_id, broadcast_id)
    _require(broadcast, "paused")
    await _set_rows(session, broadcast_id, ("held",), "pending")
    broadcast.status = "running"
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def cancel(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    broadcast = await _own(session, actor_id, broadcast_id)
    _require(broadcast, "draft", "scheduled", "running", "paused")
    await _set_rows(session, broadcast_id, ("pending", "held"), "cancelled")
    broadcast.status = "cancelled"
    broadcast.finished_at = utcnow()
    await session.commit()
    await session.refresh(broadcast)
    return broadcast


async def get(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> Broadcast:
    return await _own(session, actor_id, broadcast_id)


async def list_for(*, session: AsyncSession, actor_id: int, limit: int = 20) -> list[Broadcast]:
    """The actor's broadcasts, newest first (an admin sees everyone's)."""
    await _actor_scope(session, actor_id)
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    if not await is_admin(session=session, user_id=actor_id):
        query = query.where(col(Broadcast.curator_id) == actor_id)
    return list((await session.exec(query)).all())


def _blocked() -> ColumnElement[bool]:
    return and_(
        col(Notification.status) == "failed",
        or_(
            col(User.unreachable_at).is_not(None),
            col(Notification.last_error).startswith("blocked"),
        ),
    )


async def progress(
    *, session: AsyncSession, broadcast_id: int, now: dt.datetime | None = None
) -> Progress:
    now = now or utcnow()
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    rows = await session.exec(
        select(
            Notification.status,
            func.count(),
            func.sum(case((_blocked(), 1), else_=0)),
        )
        .outerjoin(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.broadcast_id) == broadcast_id)
        .group_by(col(Notification.status))
    )
    counts: dict[str, int] = {}
    blocked = 0
    for status, n, n_blocked in rows.all():
        counts[status] = int(n)
        blocked += int(n_blocked or 0)
    remaining = sum(counts.get(s, 0) for s in WAITING)
    recent = (
        await session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.broadcast_id) == broadcast_id)
            .where(col(Notification.status) == "sent")
            .where(col(Notification.sent_at) >= now - dt.timedelta(minutes=1))
        )
    ).one()
    # Observed rate over the last minute: independent of configured limits, honest under 429s.
    eta = remaining / (int(recent) / 60.0) if remaining and recent else None
    return Progress(
        broadcast_id=broadcast_id,
        status=broadcast.status,
        total=sum(counts.values()) or broadcast.recipient_count,
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0) - blocked,
        blocked=blocked,
        cancelled=counts.get("cancelled", 0),
        remaining=remaining,
        eta_seconds=eta,
        scheduled_at=broadcast.scheduled_at,
        extra={"topic": broadcast.topic, "channel_id": broadcast.channel_id},
    )


async def set_progress_message(
    *, session: AsyncSession, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    """Remember the curator's progress message; the backend keeps it up to date."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    broadcast.progress_chat_id = chat_id
    broadcast.progress_message_id = message_id
    await session.commit()


REPORT_HEADER = ("user_id", "name", "username", "status", "sent_at", "error")


async def report_csv(*, session: AsyncSession, actor_id: int, broadcast_id: int) -> bytes:
    """Per-recipient report (no formula injection: backend.exports)."""
    await _own(session, actor_id, broadcast_id)
    rows = await session.exec(
        select(Notification, User)
        .outerjoin(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.broadcast_id) == broadcast_id)
        .order_by(col(Notification.id))
    )
    lines: list[list[Cell]] = []
    for row, user in rows.all():
        blocked = row.status == "failed" and (
            (user is not None and user.unreachable_at is not None)
            or (row.last_error or "").startswith("blocked")
        )
        lines.append(
            [
                row.user_id,
                user.full_name if user else None,
                user.username if user else None,
                "blocked" if blocked else row.status,
                row.sent_at,
                row.last_error,
            ]
        )
    return to_csv(REPORT_HEADER, lines)


async def running_ids(*, session: AsyncSession) -> list[int]:
    """Broadcasts still in flight (running or paused), for the ticker."""
    rows = await session.exec(
        select(Broadcast.id).where(col(Broadcast.status).in_(("running", "paused")))
    )
    return [i for i in rows.all() if i is not None]


async def finish_if_done(*, session: AsyncSession, broadcast_id: int, now: dt.datetime) -> bool:
    """Mark a running broadcast done once none of its rows waits; True if it just finished."""
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    if broadcast is None or broadcast.status != "running":
        return False
    waiting = (
        await session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.broadcast_id) == broadcast_id)
            .where(col(Notification.status).in_(WAITING))
        )
    ).one()
    if waiting:
        return False
    finished = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id)
        .where(col(Broadcast.status) == "running")
        .values(status="done", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return bool(finished.rowcount)


async def owner_of(*, session: AsyncSession, broadcast_id: int) -> int:
    """The curator a broadcast belongs to (the API acts as them for an admin token)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFoundError(broadcast_id)
    return broadcast.curator_id


async def list_all(*, session: AsyncSession, limit: int = 20) -> list[Broadcast]:
    """Everyone's broadcasts, newest first (the API's admin token; no person behind it)."""
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def settle_stopped(*, session: AsyncSession) -> None:
    """Hold or cancel rows that became pending again after a pause or cancel.

    A row being sent during the pause may come back from the worker as a retry (``pending``);
    without this it would go out although the curator stopped the broadcast.
    """
    for status, to in (("paused", "held"), ("cancelled", "cancelled")):
        stopped = select(Broadcast.id).where(col(Broadcast.status) == status)
        await session.exec(
            update(Notification)
            .where(col(Notification.status) == "pending")
            .where(col(Notification.broadcast_id).in_(stopped.scalar_subquery()))
            .values(status=to)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


async def recently_cancelled_ids(*, session: AsyncSession, since: dt.datetime) -> list[int]:
    """Broadcasts cancelled since ``since``: their progress message still shows the buttons."""
    rows = await session.exec(
        select(Broadcast.id)
        .where(col(Broadcast.status) == "cancelled")
        .where(col(Broadcast.started_at).is_not(None))  # a cancelled draft has nothing to report
        .where(col(Broadcast.finished_at) >= since)
    )
    return [i for i in rows.all() if i is not None]
