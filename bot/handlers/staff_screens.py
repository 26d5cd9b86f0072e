"""The organisation screen and the small helpers the staff handlers share.

Kept apart from ``bot.handlers.staff`` so that ``bot.handlers.staff_roster`` can come back to
the organisation screen without importing the module that includes its router.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend import staff
from backend.models import Organisation
from bot.context import local_today
from bot.flow import show
from bot.handlers.staff_join import role_label
from bot.keyboards.staff import organisation_keyboard
from bot.screens import Screen

ORG_KEY = "staff_org"  # the organisation whose roster is being uploaded, in the FSM data


class StaffStates(StatesGroup):
    upload = State()  # waiting for the roster file (.csv or .xlsx) as a document


async def leave_upload(state: FSMContext) -> None:
    """Stop waiting for a roster file (any other dialog state is left alone)."""
    if await state.get_state() == StaffStates.upload.state:
        await state.set_state(None)


async def staff_org(deps: dict[str, Any], org_id: int) -> Organisation | None:
    """The organisation if the sender is on its staff, else None (a forged or stale button)."""
    try:
        return await staff.staff_organisation(
            session=deps["session"], user_id=deps["user"].id, organisation_id=org_id
        )
    except staff.NotStaffError:
        return None


def not_staff_text() -> str:
    return _("Sorry, this is only for the staff of that organisation. Use /start for the menu.")


async def staff_or_refuse(
    deps: dict[str, Any], org_id: int, callback_answer: CallbackAnswer
) -> bool:
    """True if the sender is on the organisation's staff; else the button press gets an alert."""
    if await staff_org(deps, org_id) is not None:
        return True
    callback_answer.text = not_staff_text()
    callback_answer.show_alert = True
    return False


async def staff_memberships(deps: dict[str, Any]) -> list[tuple[Organisation, str]]:
    """The organisations where the sender is head, HR or methodist (a teacher sees none)."""
    memberships = await staff.memberships_of(session=deps["session"], user_id=deps["user"].id)
    return [(org, role) for org, role in memberships if role in staff.STAFF_ROLES]


async def organisation_digest(org_id: int, deps: dict[str, Any]) -> staff.Digest:
    return await staff.digest(
        session=deps["session"],
        organisation_id=org_id,
        today=local_today(deps),
        ruleset=deps["ruleset"],
    )


async def organisation_screen(org_id: int, **deps: Any) -> Screen:
    memberships = await staff_memberships(deps)
    role = next((role for org, role in memberships if org.id == org_id), "")
    digest = await organisation_digest(org_id, deps)
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
    event: Message | CallbackQuery, org_id: int, *, new: bool = False, **deps: Any
) -> None:
    await show(event, await organisation_screen(org_id, **deps), new=new)
