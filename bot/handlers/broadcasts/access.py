"""What every broadcast handler checks first: is this person a curator, and in which language
do we answer; plus the two refusals they share."""

from __future__ import annotations

from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend import curators
from backend.curators import NotCuratorError, Scope
from bot.context import BotContext


def refusal() -> str:
    return _("Broadcasts are for curators. If you should be one, please ask an administrator.")


def stale_text() -> str:
    return _("This button is out of date. Use /broadcast to start again.")


async def curator_scope(ctx: BotContext) -> Scope | None:
    """Whom the current user may reach, or None when they are not a curator."""
    try:
        return await curators.scope_of(session=ctx.session, user_id=ctx.user.id)
    except NotCuratorError:
        return None


def alert(answer: CallbackAnswer, text: str) -> None:
    """Answer the button press with a pop-up the person has to dismiss."""
    answer.text = text
    answer.show_alert = True
