"""Who receives a broadcast: the audience filters, the curator's scope, and the SQL that counts
and enqueues them.

The audience is one SQL condition over ``user`` (``recipients_where``), used both to count and to
enqueue with a single ``INSERT … SELECT``, so 20 000 recipients cost one statement. A user's
current category is ``TeacherProfile.current_category``: backend.rules.assessments saves it
from the ``current_category`` answer of the teacher's latest saved assessment.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Integer, Select, String, and_, cast, func, literal, literal_column, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import directory
from backend.broadcasts.content import Problems
from backend.curators import Scope
from backend.i18n import LANGUAGES, N_, msg, translations
from backend.models import (
    Broadcast,
    Membership,
    Organisation,
    TeacherProfile,
    TopicSubscription,
    User,
    UserRole,
)
from backend.models.types import UTCDateTime

RoleFilter = Literal["teachers", "staff", "students"]
ROLE_FILTERS: tuple[RoleFilter, ...] = ("teachers", "staff", "students")
# A role filter matches the global role or an organisation membership with that function.
_ROLE_MATCH: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "teachers": (("teacher",), ("teacher",)),
    "staff": (("staff",), ("head", "hr", "methodist")),
    "students": (("student",), ()),
}


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


class OutOfScopeError(PermissionError):
    """The audience, channel or broadcast lies outside what the actor may reach."""


async def audience_problems(session: AsyncSession, audience: Audience) -> Problems:
    """What is wrong with the audience's filters (unknown roles, regions, organisations)."""
    problems: Problems = []
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


async def _org_regions(session: AsyncSession, ids: Sequence[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    rows = await session.exec(
        select(Organisation.id, Organisation.region).where(col(Organisation.id).in_(ids))
    )
    return {int(i): region for i, region in rows.all() if i is not None}


async def check_in_scope(session: AsyncSession, scope: Scope, audience: Audience) -> None:
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


def recipients_where(scope: Scope, topic: str, audience: Audience) -> list[ColumnElement[bool]]:
    """Who receives: reachable, subscribed, matching every set filter, inside the scope."""
    conditions: list[ColumnElement[bool]] = [
        col(User.unreachable_at).is_(None),
        _subscribed(topic),
    ]
    if scope.kind == "region":
        conditions.append(_in_regions(scope.regions))
    elif scope.kind != "everyone":
        # "orgs", or a kind this code does not know: only the listed organisations (none = nobody).
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


async def count(session: AsyncSession, scope: Scope, topic: str, audience: Audience) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(and_(*recipients_where(scope, topic, audience)))
    )
    return int((await session.exec(query)).one())


UNSUBSCRIBE = N_("🔕 Unsubscribe from “{topic}”")


def unsubscribe_buttons(topic: str) -> list[list[dict[str, Any]]]:
    """The button under a broadcast: a message key, the topic's name per language (data)."""
    entry = directory.topic(topic)
    names = {language: entry.name(language) for language in LANGUAGES}
    data = f"unsub:{directory.callback_topic(topic)}"  # "umo:011" travels as "umo.011"
    return [[{**msg(UNSUBSCRIBE, topic=names), "callback_data": data}]]


def unsubscribe_label(topic: str, language: str) -> str:
    """That button's text in ``language`` now (the curator's preview)."""
    name = directory.topic(topic).name(language)
    return translations(language).gettext(UNSUBSCRIBE).format(topic=name)


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


def recipient_rows(
    *, dialect: str, broadcast: Broadcast, scope: Scope, kind: str, now: dt.datetime
) -> Select[Any]:
    """The ``SELECT`` of one pending outbox row per recipient of ``broadcast``, in the order of
    ``backend.delivery.enqueue.OUTBOX_COLUMNS`` (for ``enqueue_from_select``)."""
    assert broadcast.id is not None
    bid = broadcast.id
    audience = Audience.from_json(broadcast.audience)
    message_json = json.dumps(broadcast.content, ensure_ascii=False)
    buttons_json = json.dumps(unsubscribe_buttons(broadcast.topic), ensure_ascii=False)
    return sa_select(
        col(User.id),
        col(User.telegram_id),
        literal(bid, Integer),
        literal(kind, String),
        literal(f"bc:{bid}:", String) + cast(col(User.id), String),
        _payload_expr(dialect, message_json, buttons_json),
        literal("pending", String),
        literal(0, Integer),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(and_(*recipients_where(scope, broadcast.topic, audience)))
