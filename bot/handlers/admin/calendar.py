"""Admin command /calendar: the dated events (testing windows) as rows an admin keeps current.

``/calendar`` lists, ``/calendar add <kind> <start> <end> [audience=<kind>] <legal basis>`` adds,
``/calendar remove <id>`` removes. Storage and validation belong to ``backend.calendars``;
anyone who is not an admin gets the unknown-command answer.
"""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from backend import curators
from backend.calendars import service as calendars
from backend.courses.validation import format_date, parse_date
from backend.models import CalendarEvent
from bot.context import BotContext
from bot.handlers.admin.curators import not_for_you


def calendar_usage() -> str:
    return _(
        "Usage:\n"
        "/calendar — the list\n"
        "/calendar add <kind> <start DD.MM.YYYY> <end DD.MM.YYYY> [audience=<org kind>] "
        "<legal basis>\n"
        "/calendar remove <id>\n"
        "Kinds: {kinds}."
    ).format(kinds=", ".join(calendars.KINDS))


def problem_text(code: str) -> str:
    texts = {
        "kind": _("Unknown kind. Kinds: {kinds}.").format(kinds=", ".join(calendars.KINDS)),
        "dates": _("The end is before the start."),
        "date_format": _("Please type the dates as DD.MM.YYYY, for example 01.04.2027."),
        "span": _("A window cannot be longer than a year."),
        "basis": _("Please give the legal basis (the act that sets the dates)."),
        "audience": _("Unknown audience. Audiences: {kinds}.").format(
            kinds=", ".join(calendars.AUDIENCES)
        ),
    }
    return texts.get(code, calendar_usage())


def event_line(event: CalendarEvent) -> str:
    audience = event.audience or _("everyone")
    return (
        f"#{event.id} {escape(event.kind)}: {format_date(event.starts_on)} – "
        f"{format_date(event.ends_on)} ({escape(audience)})\n    {escape(event.legal_basis)}"
    )


def parse_add(words: list[str]) -> calendars.EventInput:
    """``kind start end [audience=x] basis…``; raises ``CalendarInputError`` or ValueError."""
    if len(words) < 4:
        raise ValueError("usage")
    kind, start, end, rest = words[0].lower(), words[1], words[2], words[3:]
    audience = None
    if rest and rest[0].lower().startswith("audience="):
        audience = rest[0].partition("=")[2]
        rest = rest[1:]
    try:
        starts_on, ends_on = parse_date(start), parse_date(end)
    except ValueError:
        raise calendars.CalendarInputError("date_format") from None
    event = calendars.EventInput(kind, starts_on, ends_on, " ".join(rest), audience)
    return calendars.validate_event(event)


async def cmd_calendar(message: Message, command: CommandObject, ctx: BotContext) -> None:
    session = ctx.session
    if not await curators.is_admin(session=session, user_id=ctx.user.id):
        await message.answer(not_for_you())
        return
    words = (command.args or "").split()
    action = words[0].lower() if words else "list"
    if action == "list":
        events = await calendars.list_events(session=session)
        if not events:
            await message.answer(_("The calendar is empty."))
            return
        lines = [_("<b>📅 Calendar</b>"), *(event_line(event) for event in events)]
        await message.answer("\n".join(lines))
        return
    if action == "remove" and len(words) == 2 and words[1].lstrip("#").isdigit():
        try:
            record = await calendars.remove_event(
                session=session, event_id=int(words[1].lstrip("#"))
            )
        except calendars.EventNotFoundError:
            await message.answer(_("There is no such event."))
            return
        await message.answer(_("🗑 Removed: {event}").format(event=event_line(record)))
        return
    if action != "add":
        await message.answer(escape(calendar_usage()))
        return
    try:
        event = parse_add(words[1:])
        record = await calendars.add_event(session=session, event=event)
    except calendars.CalendarInputError as exc:
        await message.answer(escape(problem_text(exc.code)))
        return
    except calendars.DuplicateEventError as exc:
        await message.answer(
            _("Event #{id} already has this kind, start and audience.").format(id=exc.existing_id)
        )
        return
    except ValueError:
        await message.answer(escape(calendar_usage()))
        return
    await message.answer(_("✅ Added: {event}").format(event=event_line(record)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_calendar, Command("calendar"))
    return router
