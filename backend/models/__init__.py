"""Every table model, imported here so ``SQLModel.metadata`` is complete for Alembic."""

from backend.models.api_token import ApiToken
from backend.models.assessment import Assessment, AssessmentRead, TeacherProfile
from backend.models.broadcast import Broadcast, BroadcastRecipient
from backend.models.calendar import CalendarEvent
from backend.models.console import ConsoleLink, ConsoleSession
from backend.models.course import CourseCheckin, CourseRecord, CourseRecordRead
from backend.models.curation import Channel, CuratorScope, Submission, TopicSubscription
from backend.models.delivery import (
    DeliveryPause,
    ReminderPreference,
    ReminderSchedule,
    SweepState,
)
from backend.models.dialog_state import DialogState
from backend.models.digest_settings import OrganisationDigest
from backend.models.notification import Notification
from backend.models.organisation import Membership, Organisation, OrganisationRead
from backend.models.staff import Invitation, RosterEntry
from backend.models.university import UniversitySelfCheck
from backend.models.user import User, UserRead, UserRole

__all__ = [
    "ApiToken",
    "Assessment",
    "AssessmentRead",
    "Broadcast",
    "BroadcastRecipient",
    "CalendarEvent",
    "Channel",
    "ConsoleLink",
    "ConsoleSession",
    "CourseCheckin",
    "CourseRecord",
    "CourseRecordRead",
    "CuratorScope",
    "DeliveryPause",
    "DialogState",
    "Invitation",
    "Membership",
    "Notification",
    "Organisation",
    "OrganisationDigest",
    "OrganisationRead",
    "ReminderPreference",
    "ReminderSchedule",
    "RosterEntry",
    "Submission",
    "SweepState",
    "TeacherProfile",
    "TopicSubscription",
    "UniversitySelfCheck",
    "User",
    "UserRead",
    "UserRole",
]
