"""``sanat admin calendar add | list | remove``: dated events (testing windows) as data."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from backend.calendars import service as calendars
from backend.cli.common import cli_settings, fail, guarded, run_in_session


def _event_line(event: Any) -> str:
    audience = event.audience or "all"
    return (
        f"{event.id:>4}  {event.kind:<12} {event.starts_on.isoformat()}  "
        f"{event.ends_on.isoformat()}  {audience:<12} {event.legal_basis}"
    )


def cmd_add(args: argparse.Namespace) -> int:
    settings = cli_settings()
    event = calendars.EventInput(
        kind=args.kind,
        starts_on=args.start,
        ends_on=args.end,
        legal_basis=args.basis,
        audience=args.audience,
    )
    try:
        calendars.validate_event(event)
    except calendars.CalendarInputError as exc:
        return fail(f"invalid event: {exc.code} ({calendars.PROBLEMS[exc.code]})", 2)
    try:
        record = run_in_session(
            settings, lambda session: calendars.add_event(session=session, event=event)
        )
    except calendars.DuplicateEventError as exc:
        return fail(f"event {exc.existing_id} already has this kind, start and audience", 1)
    print(f"event {record.id} added: {_event_line(record).strip()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    settings = cli_settings()
    records = run_in_session(
        settings, lambda session: calendars.list_events(session=session, kind=args.kind)
    )
    print(f"{'ID':>4}  {'KIND':<12} {'START':<10}  {'END':<10}  {'AUDIENCE':<12} LEGAL BASIS")
    for record in records:
        print(_event_line(record))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    settings = cli_settings()
    try:
        record = run_in_session(
            settings, lambda session: calendars.remove_event(session=session, event_id=args.id)
        )
    except calendars.EventNotFoundError:
        return fail(f"no calendar event with id {args.id}", 1)
    print(f"event {record.id} removed")
    return 0


def add_commands(sub: Any) -> None:
    calendar = sub.add_parser("calendar", help="dated events: national testing windows and more")
    commands = calendar.add_subparsers(
        dest="calendar_command", required=True, metavar="CALENDAR_COMMAND"
    )
    add = commands.add_parser("add", help="add an event (both days inclusive, Asia/Almaty)")
    add.add_argument("--kind", default="testing", choices=calendars.KINDS)
    add.add_argument("--start", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    add.add_argument("--end", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    add.add_argument("--basis", required=True, help="the act that sets the dates")
    add.add_argument(
        "--audience",
        default=None,
        help="one organisation kind only: " + ", ".join(calendars.AUDIENCES),
    )
    add.set_defaults(handler=guarded(cmd_add))
    listing = commands.add_parser("list", help="every event, oldest first")
    listing.add_argument("--kind", default=None, choices=calendars.KINDS)
    listing.set_defaults(handler=guarded(cmd_list))
    remove = commands.add_parser("remove", help="remove an event by id")
    remove.add_argument("id", type=int, help="event id, as printed by 'list'")
    remove.set_defaults(handler=guarded(cmd_remove))
