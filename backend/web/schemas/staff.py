"""Bodies of the organisations API: organisations, invitations, roster, digest."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import Field

from backend.rules.schema import OrgKind
from backend.staff.organisations import STAFF_ROLES, STUDENT_ROLE, TEACHER_ROLE
from backend.web.schemas.common import (
    Line64,
    Line256,
    Moment,
    RequestModel,
    ResponseModel,
    RowId,
)

InvitationRole = Literal["head", "hr", "methodist", "teacher", "student"]
assert set(get_args(InvitationRole)) == {*STAFF_ROLES, TEACHER_ROLE, STUDENT_ROLE}
Count = Annotated[int, Field(ge=1, le=100_000, strict=True)]


class OrganisationInput(RequestModel):
    name: Annotated[Line256, Field(min_length=1)]
    kind: OrgKind
    region: Line64 | None = None


class Organisation(ResponseModel):
    id: int
    name: str
    kind: str
    region: str | None
    roster_size: int | None = None
    roster_linked: int | None = None


class OrganisationList(ResponseModel):
    items: list[Organisation]


class InvitationInput(RequestModel):
    role: InvitationRole | None = Field(
        None, description='default "teacher" with roster_entry_id; required otherwise'
    )
    max_uses: Count | None = None
    days: Count | None = None
    roster_entry_id: RowId | None = Field(None, description="a single-use link for that teacher")


class Invitation(ResponseModel):
    id: int
    role: str
    roster_entry_id: int | None
    max_uses: int | None
    uses: int
    expires_at: Moment | None
    revoked_at: Moment | None
    active: bool


class CreatedInvitation(Invitation):
    token: str = Field(description="shown only in this answer")
    link: str


class InvitationList(ResponseModel):
    items: list[Invitation]


class RosterEntry(ResponseModel):
    id: int
    full_name: str
    position_id: str | None
    username: str | None
    last_course_on: dt.date | None
    category: str | None
    linked: bool


class Roster(ResponseModel):
    items: list[RosterEntry]


class RowError(ResponseModel):
    line: int
    code: str
    detail: str


class ImportReport(ResponseModel):
    added: int
    updated: int
    rows_total: int
    errors: list[RowError]


class DigestRow(ResponseModel):
    full_name: str
    position: str | None
    position_name: dict[str, str | None]
    last_course_on: dt.date | None
    due_on: dt.date | None
    days_left: int | None
    linked: bool


class Digest(ResponseModel):
    organisation_id: int
    as_of: dt.date
    due_soon_days: int
    total: int
    overdue: list[DigestRow]
    due_soon: list[DigestRow]
    without_date: list[DigestRow]
    # A course date so far in the future that its due date would fall after 31.12.9999.
    out_of_range: list[DigestRow]


class DigestScheduleInput(RequestModel):
    enabled: bool = Field(description="false: no weekly digest for this organisation")
    weekday: Annotated[int, Field(ge=0, le=6, strict=True, description="0 = Monday")]
    time: Annotated[
        str,
        Field(
            pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
            description="HH:MM, Asia/Almaty, outside the delivery quiet hours",
        ),
    ]


class DigestSchedule(ResponseModel):
    enabled: bool
    weekday: int
    time: str
    own: bool = Field(description="false: the defaults (SANAT_STAFF_DIGEST_*) apply")
