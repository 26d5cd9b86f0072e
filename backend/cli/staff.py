"""``sanat admin org create | list`` and ``sanat admin invite create | list | revoke``.

An invitation's token is printed once, as the t.me deep link; only its hash is stored.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, get_args

from backend import staff
from backend.cli.common import cli_settings, fail, guarded, run_in_session, when
from backend.models import Invitation
from backend.rules.schema import OrgKind

ORG_KINDS = get_args(OrgKind)


def cmd_org_create(args: argparse.Namespace) -> int:
    settings = cli_settings()
    if not args.name.strip():
        return fail("the organisation needs a name (--name)", 2)
    organisation = run_in_session(
        settings,
        lambda session: staff.create_organisation(
            session=session, name=args.name, kind=args.kind, region=args.region
        ),
    )
    print(f"organisation {organisation.id} ({organisation.name!r}, {organisation.kind}) created")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    organisations = run_in_session(
        cli_settings(), lambda session: staff.list_organisations(session=session)
    )
    print(f"{'ID':>4}  {'KIND':<22} {'REGION':<16} NAME")
    for organisation in organisations:
        print(
            f"{organisation.id:>4}  {organisation.kind:<22} {organisation.region or '-':<16} "
            f"{organisation.name}"
        )
    return 0


def cmd_invite_create(args: argparse.Namespace) -> int:
    settings = cli_settings()
    days = args.days if args.days is not None else settings.staff.invitation_ttl_days
    try:
        created = run_in_session(
            settings,
            lambda session: staff.create_invitation(
                session=session,
                organisation_id=args.org,
                role=args.role,
                ttl_days=days,
                max_uses=args.max_uses,
            ),
        )
    except staff.OrganisationNotFoundError:
        return fail(f"no organisation with id {args.org}", 1)
    except ValueError as exc:
        return fail(exc, 2)
    print(staff.invitation_link(settings.bot.username, created.token))
    invitation = created.invitation
    print(
        f"invitation {invitation.id} ({invitation.role}, organisation "
        f"{invitation.organisation_id}, expires {when(invitation.expires_at)}) created; "
        "the link is shown only this once",
        file=sys.stderr,
    )
    if not settings.bot.username:
        print("set SANAT_BOT_USERNAME to print a full t.me link", file=sys.stderr)
    return 0


def _uses(invitation: Invitation) -> str:
    return f"{invitation.uses}/{invitation.max_uses if invitation.max_uses else '∞'}"


def cmd_invite_list(args: argparse.Namespace) -> int:
    invitations = run_in_session(
        cli_settings(),
        lambda session: staff.list_invitations(session=session, organisation_id=args.org),
    )
    print(f"{'ID':>4}  {'ROLE':<10} {'USES':<8} {'EXPIRES':<25} REVOKED")
    for invitation in invitations:
        print(
            f"{invitation.id:>4}  {invitation.role:<10} {_uses(invitation):<8} "
            f"{when(invitation.expires_at):<25} {when(invitation.revoked_at)}"
        )
    return 0


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    revoked = run_in_session(
        cli_settings(),
        lambda session: staff.revoke_invitation(session=session, invitation_id=args.id),
    )
    if not revoked:
        return fail(f"no invitation with id {args.id}", 1)
    print(f"invitation {args.id} revoked: its link no longer works")
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def add_commands(admin_subcommands: Any) -> None:
    """Add ``org`` and ``invite`` to ``sanat admin``."""
    org = admin_subcommands.add_parser("org", help="create or list organisations")
    orgs = org.add_subparsers(dest="org_command", required=True, metavar="ORG_COMMAND")
    create = orgs.add_parser("create", help="create an organisation (school, college…)")
    create.add_argument("--name", required=True, help="its name, e.g. 'Гимназия №1'")
    create.add_argument("--kind", required=True, choices=ORG_KINDS, help="its kind")
    create.add_argument("--region", default=None, help="its region, e.g. 'almaty'")
    create.set_defaults(handler=guarded(cmd_org_create))
    listing = orgs.add_parser("list", help="list organisations")
    listing.set_defaults(handler=guarded(cmd_org_list))

    invite = admin_subcommands.add_parser("invite", help="staff invitation links")
    invites = invite.add_subparsers(dest="invite_command", required=True, metavar="INVITE_COMMAND")
    make = invites.add_parser("create", help="create a link and print it (shown only once)")
    make.add_argument("--org", type=int, required=True, help="organisation id")
    make.add_argument(
        "--role",
        required=True,
        choices=(*staff.STAFF_ROLES, staff.STUDENT_ROLE),
        help="the staff role, or student (one link for a whole group of new students)",
    )
    make.add_argument("--max-uses", type=_positive, default=None, help="people who may join")
    make.add_argument("--days", type=_positive, default=None, help="days the link is valid")
    make.set_defaults(handler=guarded(cmd_invite_create))
    show = invites.add_parser("list", help="an organisation's invitations (never the tokens)")
    show.add_argument("--org", type=int, required=True, help="organisation id")
    show.set_defaults(handler=guarded(cmd_invite_list))
    revoke = invites.add_parser("revoke", help="revoke an invitation (its link stops working)")
    revoke.add_argument("id", type=int, help="invitation id, from 'sanat admin invite list'")
    revoke.set_defaults(handler=guarded(cmd_invite_revoke))
