"""Registered channels and groups: where curators may post, and the links shown to staff.

A channel is registered when the bot is made an administrator there by a curator or an admin
(the bot sees a ``my_chat_member`` update), and deactivated when the bot loses that right. Links
("channel" and "chat", public t.me URLs) are settings of a channel, never hard-coded: the
September reminder of ``backend.channels.duty`` shows them to organisations' staff.

Who may do what follows the curator's scope: an admin reaches everything; a curator reaches the
channels of the organisations in their scope, any channel without an organisation when the scope
is "everyone", and the channels they registered themselves (otherwise a region curator could not
even see the channel they just added in order to attach it to an organisation).

Each public function owns its transaction: it commits what it changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import curators
from backend.curators import Scope
from backend.models import Channel, Organisation, User

CHANNEL_KINDS = frozenset({"channel", "group", "supergroup"})
LINK_FIELDS = ("channel", "chat")
ORGANISATION_SCAN_LIMIT = 5000  # organisations read when searching by name (in Python: any script)

# t.me/<username>, t.me/+<invite>, t.me/joinchat/<invite>; telegram.me is the same site.
_LINK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/"
    r"(?P<path>\+[A-Za-z0-9_-]{5,64}|joinchat/[A-Za-z0-9_-]{5,64}|[A-Za-z][A-Za-z0-9_]{3,31})/?$"
)


class ChannelNotFoundError(LookupError):
    pass


class ChannelAccessError(PermissionError):
    """The actor is not a curator or admin, or the channel/organisation is outside their scope."""


class LinkError(ValueError):
    """A link that is not a public t.me address; ``field`` is "channel" or "chat"."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: not a t.me link")
        self.field = field


def normalise_link(text: str) -> str:
    """``https://t.me/<path>`` for a t.me address typed in any usual way; LinkError otherwise."""
    match = _LINK.match(text.strip())
    if match is None:
        raise LinkError("link")
    return f"https://t.me/{match.group('path')}"


async def reach_of(session: AsyncSession, user_id: int) -> Scope | None:
    """The scope a user may reach (everyone for an admin), or None for someone who is neither
    a curator nor an admin.
    """
    try:
        return await curators.scope_of(session=session, user_id=user_id)
    except curators.NotCuratorError:
        return None


def covers(scope: Scope, organisation: Organisation) -> bool:
    if scope.kind == "everyone":
        return True
    if scope.kind == "region":
        return organisation.region is not None and organisation.region in scope.regions
    return organisation.id in scope.organisation_ids


async def _require_reach(session: AsyncSession, actor_id: int) -> Scope:
    scope = await reach_of(session, actor_id)
    if scope is None:
        raise ChannelAccessError("not a curator")
    return scope


async def _by_chat(session: AsyncSession, chat_id: int) -> Channel | None:
    return (await session.exec(select(Channel).where(col(Channel.chat_id) == chat_id))).first()


async def _save(session: AsyncSession, channel: Channel) -> Channel:
    session.add(channel)
    await session.commit()
    await session.refresh(channel)
    return channel


async def register_channel(  # noqa: PLR0917 - the agreed signature, positional
    session: AsyncSession,
    chat_id: int,
    title: str,
    kind: str,
    username: str | None,
    registered_by: int,
) -> Channel:
    """Register (or reactivate and refresh) the chat where ``registered_by`` made the bot an
    administrator; ChannelAccessError unless they are a curator or an admin.
    """
    scope = await _require_reach(session, registered_by)
    if kind not in CHANNEL_KINDS:
        raise ValueError(f"not a channel or group: {kind!r}")
    channel = await _by_chat(session, chat_id)
    if channel is None:
        channel = Channel(
            chat_id=chat_id, title=title[:256], kind=kind, registered_by=registered_by
        )
        if scope.kind == "orgs" and len(scope.organisation_ids) == 1:
            # The only organisation this curator serves: surely the channel is theirs.
            channel.organisation_id = scope.organisation_ids[0]
    channel.title, channel.kind, channel.username = title[:256], kind, username
    channel.active = True
    if channel.registered_by is None:
        channel.registered_by = registered_by
    return await _save(session, channel)


async def is_registered(session: AsyncSession, chat_id: int) -> bool:
    """Whether the chat is a registered channel the bot still posts to."""
    channel = await _by_chat(session, chat_id)
    return channel is not None and channel.active


async def deactivate(session: AsyncSession, chat_id: int) -> bool:
    """The bot is no longer an administrator there; False if the chat was not registered."""
    channel = await _by_chat(session, chat_id)
    if channel is None or not channel.active:
        return False
    channel.active = False
    session.add(channel)
    await session.commit()
    return True


async def migrate_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup with a new id: the registration follows it."""
    old = await _by_chat(session, old_chat_id)
    if old is None:
        return False
    new = await _by_chat(session, new_chat_id)
    if new is None:
        old.chat_id, old.kind = new_chat_id, "supergroup"
        session.add(old)
    else:
        # The supergroup was registered on its own first: keep that row, carry the settings over.
        new.organisation_id = new.organisation_id or old.organisation_id
        new.links = {**old.links, **new.links}
        old.active = False
        session.add_all([old, new])
    await session.commit()
    return True


def _visible(scope: Scope, actor_id: int) -> object:
    """The SQL condition for the channels ``scope`` reaches (Organisation outer-joined)."""
    mine = col(Channel.registered_by) == actor_id
    if scope.kind == "everyone":
        return col(Channel.id).is_not(None)
    if scope.kind == "region":
        return or_(mine, col(Organisation.region).in_(scope.regions))
    return or_(mine, col(Channel.organisation_id).in_(scope.organisation_ids))


async def list_channels(
    session: AsyncSession, actor_id: int, *, include_inactive: bool = False
) -> list[Channel]:
    """The channels ``actor_id`` may post to (none for someone who is not a curator)."""
    scope = await reach_of(session, actor_id)
    if scope is None:
        return []
    query = (
        select(Channel)
        .outerjoin(Organisation, col(Organisation.id) == col(Channel.organisation_id))
        .where(_visible(scope, actor_id))  # type: ignore[arg-type]
        .order_by(col(Channel.title), col(Channel.id))
    )
    if not include_inactive:
        query = query.where(col(Channel.active).is_(True))
    return list((await session.exec(query)).all())


async def get_channel(
    session: AsyncSession, channel_id: int, actor_id: int | None = None
) -> Channel:
    """The channel; with ``actor_id``, only if they may post to it (ChannelAccessError)."""
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise ChannelNotFoundError(channel_id)
    if actor_id is not None:
        allowed = await list_channels(session, actor_id, include_inactive=True)
        if channel.id not in {c.id for c in allowed}:
            raise ChannelAccessError("channel outside the scope")
    return channel


async def set_links(
    session: AsyncSession,
    channel_id: int,
    channel_link: str | None,
    chat_link: str | None,
    *,
    actor_id: int | None = None,
) -> Channel:
    """Set the public links: a t.me address sets, "" removes, None leaves as it is."""
    channel = await get_channel(session, channel_id, actor_id)
    links = dict(channel.links or {})
    for field, value in (("channel", channel_link), ("chat", chat_link)):
        if value is None:
            continue
        if not value.strip():
            links.pop(field, None)
            continue
        try:
            links[field] = normalise_link(value)
        except LinkError as error:
            raise LinkError(field) from error
    channel.links = links
    return await _save(session, channel)


async def set_organisation(
    session: AsyncSession,
    channel_id: int,
    organisation_id: int | None,
    *,
    actor_id: int | None = None,
) -> Channel:
    """Attach the channel to an organisation (None: to none); the actor must reach both."""
    channel = await get_channel(session, channel_id, actor_id)
    if organisation_id is not None:
        organisation = await session.get(Organisation, organisation_id)
        if organisation is None:
            raise ChannelNotFoundError(f"organisation {organisation_id}")
        if actor_id is not None and not covers(
            await _require_reach(session, actor_id), organisation
        ):
            raise ChannelAccessError("organisation outside the scope")
    elif actor_id is not None and (await _require_reach(session, actor_id)).kind != "everyone":
        # Detached, the channel would be everyone's: only an "everyone" curator may do that.
        raise ChannelAccessError("only an everyone-scope curator may detach a channel")
    channel.organisation_id = organisation_id
    return await _save(session, channel)


async def search_organisations(
    session: AsyncSession, actor_id: int, text: str, limit: int = 10
) -> list[Organisation]:
    """Organisations in the actor's scope whose name contains ``text`` (or whose id it is)."""
    scope = await _require_reach(session, actor_id)
    needle = " ".join(text.split()).casefold()
    query = select(Organisation).order_by(col(Organisation.name), col(Organisation.id))
    if scope.kind == "region":
        query = query.where(col(Organisation.region).in_(scope.regions))
    elif scope.kind == "orgs":
        query = query.where(col(Organisation.id).in_(scope.organisation_ids))
    if needle.isdigit():
        query = query.where(col(Organisation.id) == int(needle))
    rows = (await session.exec(query.limit(ORGANISATION_SCAN_LIMIT))).all()
    if needle.isdigit():
        return list(rows[:limit])
    # casefold in Python: SQLite's lower() leaves Cyrillic and Kazakh letters alone
    return [o for o in rows if needle in " ".join(o.name.split()).casefold()][:limit]


async def curators_covering(session: AsyncSession, organisation_id: int) -> list[User]:
    """The curators whose scope includes the organisation (who review its material)."""
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        return []
    entries = await curators.list_curators(session=session)
    return [entry.user for entry in entries if covers(entry.scope, organisation)]


async def links_for(session: AsyncSession, organisation_id: int) -> dict[str, str]:
    """The links to show an organisation's staff: its own active channel's, else those of an
    active channel without organisation (the national one); {} when none are set.
    """
    for condition in (
        col(Channel.organisation_id) == organisation_id,
        col(Channel.organisation_id).is_(None),
    ):
        channels: Sequence[Channel] = (
            await session.exec(
                select(Channel)
                .where(condition, col(Channel.active).is_(True))
                .order_by(col(Channel.id))
            )
        ).all()
        for channel in channels:
            links = {k: v for k, v in (channel.links or {}).items() if k in LINK_FIELDS and v}
            if links:
                return links
    return {}
