"""Admin commands: /curator grant|revoke and /curators.

Only admins (``curators.is_admin``) may use them; anyone else gets the same answer as for an
unknown command, so the commands' existence is not revealed.
"""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlmodel.ext.asyncio.session import AsyncSession

from backend import curators, users
from backend.courses import service as courses
from backend.curators import Scope, ScopeError
from backend.directory import REGION_CODES, region
from backend.models import UserRead
from bot.commands import set_chat_commands
from bot.context import BotContext


class UsageError(ValueError):
    pass


def usage() -> str:
    return _(
        "Usage:\n"
        "/curator grant <Telegram id> — reach everyone\n"
        "/curator grant <Telegram id> region <code> [<code> …]\n"
        "/curator grant <Telegram id> org <id> [<id> …]\n"
        "/curator revoke <Telegram id>\n"
        "/curators — the list"
    )


def not_for_you() -> str:
    # The very text of an unknown command: a non-admin learns nothing.
    return _("Unknown command. Use /start for the menu or /help.")


def parse_scope(words: list[str]) -> Scope:
    """``[]`` → everyone; ``region A B`` → regions; ``org 1 2`` → organisations."""
    if not words:
        return Scope()
    kind, values = words[0].lower(), words[1:]
    if not values:
        raise UsageError(kind)
    if kind in ("region", "regions"):
        return Scope(kind="region", regions=tuple(v.lower() for v in values))
    if kind in ("org", "orgs"):
        if not all(v.isdigit() for v in values):
            raise UsageError(kind)
        return Scope(kind="orgs", organisation_ids=tuple(int(v) for v in values))
    raise UsageError(kind)


def describe(scope: Scope, language: str) -> str:
    if scope.kind == "region":
        names = [region(c).name(language) if c in REGION_CODES else c for c in scope.regions]
        return _("regions: {regions}").format(regions=escape(", ".join(names)))
    if scope.kind == "orgs":
        ids = ", ".join(f"#{i}" for i in scope.organisation_ids) or "—"
        return _("organisations: {ids}").format(ids=ids)
    return _("everyone")


async def _target(session: AsyncSession, word: str) -> int | None:
    """The Sanat user behind a Telegram id or @username (they must have opened the bot once)."""
    word = word.strip()
    if word.startswith("@"):
        return await users.find_user_id_by_username(session=session, username=word)
    if not word.isdigit():
        return None
    return await courses.find_user_id(session=session, telegram_id=int(word))


async def _refresh_commands(user_id: int, ctx: BotContext) -> None:
    """The person's own command list after their roles changed (/broadcast, /channels)."""
    target = await users.get_user(session=ctx.session, user_id=user_id)
    if target is not None:
        await set_chat_commands(ctx.bot, ctx.i18n, target)


async def cmd_curator(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: UserRead,
    ctx: BotContext,
) -> None:
    if not await curators.is_admin(session=session, user_id=user.id):
        await message.answer(not_for_you())
        return
    words = (command.args or "").split()
    if len(words) < 2 or words[0].lower() not in ("grant", "revoke"):
        await message.answer(escape(usage()))
        return
    action, who, rest = words[0].lower(), words[1], words[2:]
    target = await _target(session, who)
    if target is None:
        await message.answer(
            _(
                "No Sanat user with Telegram id {who}: they must open the bot (/start) first, "
                "and the id must be a number."
            ).format(who=escape(who))
        )
        return
    if action == "revoke":
        if await curators.revoke_curator(session=session, user_id=target):
            await _refresh_commands(target, ctx)
            await message.answer(_("✅ The curator role is revoked."))
        else:
            await message.answer(_("That user was not a curator."))
        return
    try:
        scope = parse_scope(rest)
        entry = await curators.grant_curator(
            session=session, user_id=target, scope=scope, granted_by=user.id
        )
    except UsageError:
        await message.answer(escape(usage()))
        return
    except ScopeError:
        await message.answer(
            _("Unknown region or organisation. Region codes: {codes}").format(
                codes=", ".join(sorted(REGION_CODES))
            )
        )
        return
    await _refresh_commands(target, ctx)
    name = entry.user.full_name or entry.user.username or str(entry.user.telegram_id)
    await message.answer(
        _("✅ {name} is a curator now; scope: {scope}.").format(
            name=escape(name), scope=describe(entry.scope, user.language or "ru")
        )
    )


async def cmd_curators(message: Message, session: AsyncSession, user: UserRead) -> None:
    if not await curators.is_admin(session=session, user_id=user.id):
        await message.answer(not_for_you())
        return
    entries = await curators.list_curators(session=session)
    if not entries:
        await message.answer(_("There are no curators yet."))
        return
    language = user.language or "ru"
    lines = [_("Curators:")]
    for entry in entries:
        name = entry.user.full_name or entry.user.username or "—"
        lines.append(
            f"• {escape(name)} (id {entry.user.telegram_id}): {describe(entry.scope, language)}"
        )
    await message.answer("\n".join(lines))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_curator, Command("curator"))
    router.message.register(cmd_curators, Command("curators"))
    return router
