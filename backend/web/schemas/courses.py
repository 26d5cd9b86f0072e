"""Bodies of the courses API (``/api/v1/users/{telegram_id}/courses``).

The model bounds each field; ``backend.courses.validation`` then checks what the values mean
(dates, providers, hours) and names each problem with a stable code.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field

from backend.courses.validation import MAX_CERTIFICATE_NUMBER, MAX_FILE_ID, PROVIDERS
from backend.web.schemas.common import (
    Line32,
    Line64,
    Line256,
    Line512,
    Moment,
    RequestModel,
    ResponseModel,
)


class CourseInput(RequestModel):
    completed_on: Annotated[Line32 | None, Field(examples=["15.03.2025", "2025-03-15"])] = None
    title: Line512 | None = None
    provider: Annotated[Line32 | None, Field(json_schema_extra={"enum": [*PROVIDERS, None]})] = (
        None
    )
    hours: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] | Line32 | None = None
    certificate_number: Annotated[Line64, Field(max_length=MAX_CERTIFICATE_NUMBER)] | None = None
    certificate_file_id: Annotated[Line256, Field(max_length=MAX_FILE_ID)] | None = None
    certificate_sha256: Line64 | None = None


class Course(ResponseModel):
    id: int
    completed_on: dt.date
    completed_on_display: str
    title: str
    provider: str
    hours: int | None
    certificate_number: str | None
    certificate_file_id: str | None
    certificate_sha256: str | None


class CourseList(ResponseModel):
    items: list[Course]
    count: int


class Milestone(ResponseModel):
    id: str
    on: dt.date
    send_at: Moment
    reached: bool


class CourseDue(ResponseModel):
    due_on: dt.date | None
    period_years: int
    citation: dict[str, Any]
    last_completed_on: dt.date | None = None
    due_on_display: str | None = None
    days_left: int | None = None
    overdue: bool | None = None
    current_milestone: str | None = None
    milestones: list[Milestone] | None = None
    quote: Any = None
