"""The organisation screen and the small helpers the staff handlers share.

Kept apart from ``handlers`` so that ``roster`` can come back to the organisation screen
without importing the section's handlers.
"""

from __future__ import annotations

from html import escape

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend import staff
from backend.models import Organisation
from bot.context import BotContext
from bot.handlers.staff.join import role_label
from bot.handlers.staff.keyboards import organisation_keyboard
from bot.handlers.staff.states import StaffStates
from bot.shared.screen import Screen, show

ORG_KEY = "staff_org"  # the organisation whose roster is being uploaded, in the FSM data


async def leave_upload(state: FSMContext) -> None:
    """Stop waiting for a roster file (any other dialog state is left alone)."""
    if await state.get_state() == StaffStates.upload.state:
        await state.set_state(None)


async def staff_org(ctx: BotContext, org_id: int) -> Organisation | None:
    """The organisation if the sender is on its staff, else None (a forged or stale button)."""
    try:
        return await staff.staff_organisation(
            session=ctx.session, user_id=ctx.user.id, organisation_id=org_id
        )
    except staff.NotStaffError:
        return None


def not_staff_text() -> str:
    return _("Sorry, this is only for the staff of that organisation. Use /start for the menu.")


async def staff_or_refuse(ctx: BotContext, org_id: int, callback_answer: CallbackAnswer) -> bool:
    """True if the sender is on the organisation's staff; else the button press gets an alert."""
    if await staff_org(ctx, org_id) is not None:
        return True
    callback_answer.text = not_staff_text()
    callback_answer.show_alert = True
    return False


async def staff_memberships(ctx: BotContext) -> list[tuple[Organisation, str]]:
    """The organisations where the sender is head, HR or methodist (a teacher sees none)."""
    memberships = await staff.memberships_of(session=ctx.session, user_id=ctx.user.id)
    return [(org, role) for org, role in memberships if role in staff.STAFF_ROLES]


async def organisation_digest(org_id: int, ctx: BotContext) -> staff.Digest:
    return await staff.digest(
        session=ctx.session,
        organisation_id=org_id,
        today=ctx.today(),
        ruleset=ctx.ruleset,
    )


async def organisation_screen(org_id: int, ctx: BotContext) -> Screen:
    memberships = await staff_memberships(ctx)
    role = next((role for org, role in memberships if org.id == org_id), "")
    digest = await organisation_digest(org_id, ctx)
    lines = [
        f"🏫 <b>{escape(digest.organisation_name)}</b>",
        _("Your role: {role}").format(role=role_label(role)),
        "",
        _("Teachers on the roster: {total}").format(total=digest.total),
        _("Refresher course overdue: {count}").format(count=len(digest.overdue)),
        _("Due within {days} days: {count}").format(
            days=staff.DUE_SOON_DAYS, count=len(digest.due_soon)
        ),
    ]
    return Screen("\n".join(lines), organisation_keyboard(org_id, several=len(memberships) > 1))


async def show_organisation(
    event: Message | CallbackQuery, org_id: int, *, new: bool = False, ctx: BotContext
) -> None:
    await show(event, await organisation_screen(org_id, ctx=ctx), new=new)
