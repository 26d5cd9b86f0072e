"""Post-course check-in answers of an organisation's staff, anonymised (Order 266 para 31).

``GET /api/v1/organisations/{id}/course-checkins``: an admin token or that organisation's
token (``backend.web.auth``). Counts only, withheld below ``MIN_GROUP`` respondents.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from backend.courses import checkins
from backend.courses.programmes import load_programmes
from backend.models import Organisation
from backend.web.keys import session_pool_key
from backend.web.operations import path_int
from backend.web.problems import ProblemError, json_response


class AppliedCounts(BaseModel):
    yes: int
    partly: int
    no: int


class CheckinSummary(BaseModel):
    organisation_id: int
    respondents: int
    withheld: bool
    min_group: int
    applied: AppliedCounts | None
    wants_support: int | None
    checkin_months: list[int]
    schedule_is_assumption: bool
    basis: str


async def organisation_checkins(request: web.Request) -> web.Response:
    organisation_id = path_int(request, "organisation_id")
    async with request.app[session_pool_key]() as session:
        if await session.get(Organisation, organisation_id) is None:
            raise ProblemError(404, "Not Found", "no such organisation")
        counts = await checkins.organisation_counts(
            session=session, organisation_id=organisation_id
        )
    support = load_programmes().post_course_support
    summary = CheckinSummary(
        organisation_id=organisation_id,
        respondents=counts.respondents,
        withheld=counts.withheld,
        min_group=checkins.MIN_GROUP,
        applied=AppliedCounts(**counts.applied) if counts.applied is not None else None,
        wants_support=counts.wants_support,
        checkin_months=list(support.checkin_months),
        schedule_is_assumption=support.assumption,
        basis=f"{load_programmes().act.split(',')[0]}, 31-тармақ (001_2a0aee6cb2e2fd2b.txt, "
        f"{support.lines[0]}-{support.lines[1]})",
    )
    return json_response(summary.model_dump(mode="json"))
