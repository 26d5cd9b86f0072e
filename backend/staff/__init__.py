"""An organisation's staff: the entry the bot, the API and the CLI import (``backend.staff``).

The work is done in the modules of this package: ``organisations`` (organisations and who
is staff), ``invitations`` (links and joining by one), ``roster_import`` (roster files into the
database) and ``weekly_digest`` (the digest and its weekly outbox rows); roster parsing is in
``backend.roster_parsing`` and digest texts in ``backend.staff.digest``. Each public function
takes ``session`` and owns its transaction (commits what it changes).
"""

from __future__ import annotations

from backend.roster_parsing.rows import ImportReport, RosterFileError, RowError
from backend.staff.digest import Digest, DigestRow
from backend.staff.invitations import (
    INVITATION_ERRORS,
    TOKEN_BYTES,
    CreatedInvitation,
    InvitationError,
    Joined,
    create_invitation,
    hash_token,
    invitation_link,
    list_invitations,
    redeem_invitation,
    revoke_invitation,
)
from backend.staff.organisations import (
    STAFF_ROLES,
    STUDENT_ROLE,
    TEACHER_ROLE,
    NotStaffError,
    OrganisationNotFoundError,
    create_organisation,
    get_organisation,
    list_organisations,
    memberships_of,
    staff_organisation,
)
from backend.staff.roster_import import import_roster, roster_entries, roster_invitation
from backend.staff.weekly_digest import (
    DIGEST_FILE_KIND,
    DIGEST_JOB_ID,
    DIGEST_KIND,
    DUE_SOON_DAYS,
    add_digest_job,
    digest,
    digest_files,
    enqueue_weekly_digests,
    week_key,
)

__all__ = [
    "DIGEST_FILE_KIND",
    "DIGEST_JOB_ID",
    "DIGEST_KIND",
    "DUE_SOON_DAYS",
    "INVITATION_ERRORS",
    "STAFF_ROLES",
    "STUDENT_ROLE",
    "TEACHER_ROLE",
    "TOKEN_BYTES",
    "CreatedInvitation",
    "Digest",
    "DigestRow",
    "ImportReport",
    "InvitationError",
    "Joined",
    "NotStaffError",
    "OrganisationNotFoundError",
    "RosterFileError",
    "RowError",
    "add_digest_job",
    "create_invitation",
    "create_organisation",
    "digest",
    "digest_files",
    "enqueue_weekly_digests",
    "get_organisation",
    "hash_token",
    "import_roster",
    "invitation_link",
    "list_invitations",
    "list_organisations",
    "memberships_of",
    "redeem_invitation",
    "revoke_invitation",
    "roster_entries",
    "roster_invitation",
    "staff_organisation",
    "week_key",
]
