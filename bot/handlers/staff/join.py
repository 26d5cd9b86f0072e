"""Joining an organisation by opening an invitation link (``/start <token>``).

Included from ``bot.handlers.staff.create_router()``, ahead of the menu's plain /start. The
service decides whether the token is good; this module only words the answer.
"""

from __future__ import annotations

import math
import re
from html import escape

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from backend import staff
from backend.models import UserRead
from backend.models.types import utcnow
from backend.users import get_or_create_user
from bot.commands import set_chat_commands
from bot.context import BotContext
from bot.handlers.start import LANGUAGE_PROMPT
from bot.shared.menu import language_keyboard, menu_screen

# Invitation tokens are ``secrets.token_urlsafe(TOKEN_BYTES)``: exactly this many characters of
# [A-Za-z0-9_-]. Invitations are the bot's only deep links, so any other text after /start (a
# link cut short when it was copied, a mistyped one) is a broken invitation: the person is told
# to open the whole link instead of landing on the menu without a word.
TOKEN_CHARS = math.ceil(staff.TOKEN_BYTES * 4 / 3)
INVITATION_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_CHARS}}}$")


def role_label(role: str) -> str:
    """A membership role in words; the organisation screen shows it too."""
    labels = {
        "head": _("head of the organisation"),
        "hr": _("HR specialist"),
        "methodist": _("methodist"),
        "teacher": _("teacher"),
        "student": _("student"),
    }
    return labels.get(role, role)


def invitation_problem(code: str) -> str:
    reasons = {
        "unknown": _(
            "This invitation link is not valid. Check that you opened the whole link, or ask "
            "for a new one."
        ),
        "expired": _(
            "This invitation link has expired. Ask the person who sent it for a new one."
        ),
        "revoked": _(
            "This invitation link was withdrawn. Ask the person who sent it for a new one."
        ),
        "used_up": _(
            "This invitation link has already been used. Ask the person who sent it for a new one."
        ),
    }
    return reasons.get(code, reasons["unknown"])


async def join_by_link(
    message: Message, command: CommandObject, user: UserRead, ctx: BotContext
) -> None:
    session = ctx.session
    token = command.args or ""
    try:
        if not INVITATION_TOKEN.fullmatch(token):  # cut short or malformed: no lookup needed
            raise staff.InvitationError("unknown")
        joined = await staff.redeem_invitation(
            session=session, token=token, user_id=user.id, now=utcnow()
        )
    except staff.InvitationError as error:
        await message.answer(invitation_problem(error.code))
    else:
        text = _("Welcome! You joined «{organisation}». Your role: {role}.").format(
            organisation=escape(joined.organisation.name), role=role_label(joined.role)
        )
        if joined.roster_entry is not None:
            text += "\n" + _("Your record on its roster is now linked to you: {name}.").format(
                name=escape(joined.roster_entry.full_name)
            )
        await message.answer(text)
        sender = message.from_user
        if sender is not None:  # the roles changed: read them again for the menu
            user = await get_or_create_user(
                session=session,
                telegram_id=sender.id,
                username=sender.username,
                full_name=sender.full_name,
            )
            await set_chat_commands(ctx.bot, ctx.i18n, user)  # a staff role brings /duty
    if user.language is None:  # a first contact: the menu comes after the language choice
        await message.answer(LANGUAGE_PROMPT, reply_markup=language_keyboard())
        return
    screen = menu_screen(user.roles)
    await message.answer(screen.text, reply_markup=screen.markup)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(join_by_link, CommandStart(deep_link=True))
    return router
