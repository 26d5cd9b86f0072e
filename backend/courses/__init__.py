"""Refresher courses: cycle arithmetic, reminder ladder, quiet hours, input, calendar.

The names re-exported here are pure (no I/O); ``backend.courses.service`` stores courses and
``backend.courses.sweep`` puts due reminders into the outbox.
"""

from backend.courses.cycle import (
    Milestone,
    catch_up,
    due_date,
    due_milestones,
    ladder,
    latest_milestone,
    latest_offset,
    milestone_id,
)
from backend.courses.preferences import SNOOZE_DAYS, reminders_paused, snooze_until
from backend.courses.quiet import day_send_moment, in_quiet_hours, next_send_moment
from backend.courses.status import DueStatus, ScheduledMilestone, due_status
from backend.courses.testing import due_reminder, next_window
from backend.courses.validation import (
    PROVIDERS,
    CourseInput,
    CourseInputError,
    format_date,
    parse_date,
    validate_changes,
    validate_course,
)

__all__ = [
    "PROVIDERS",
    "SNOOZE_DAYS",
    "CourseInput",
    "CourseInputError",
    "DueStatus",
    "Milestone",
    "ScheduledMilestone",
    "catch_up",
    "day_send_moment",
    "due_date",
    "due_milestones",
    "due_reminder",
    "due_status",
    "format_date",
    "in_quiet_hours",
    "ladder",
    "latest_milestone",
    "latest_offset",
    "milestone_id",
    "next_send_moment",
    "next_window",
    "parse_date",
    "reminders_paused",
    "snooze_until",
    "validate_changes",
    "validate_course",
]
