"""The refresher-courses buttons: short prefixes and ids only (64 bytes of UTF-8)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ReminderCallback(CallbackData, prefix="rem"):
    """The buttons under a reminder (``backend.courses.messages``): ``rem:<a>:<d>``."""

    a: str  # snooze | done | stop
    d: str  # the cycle's due date (ISO), or "testing"


class CourseDoneCallback(CallbackData, prefix="rd"):
    a: str  # today | other
    d: str  # the cycle's due date (ISO) the reminder was about


class CourseCallback(CallbackData, prefix="cs"):
    a: str  # open | add | cal | tl | on | off | del | delok | show | cert | skip | kinds
    id: int = 0  # course id, for del, delok, show and cert


class CourseEditCallback(CallbackData, prefix="ce"):
    """Change one field of a recorded course: ``ce:<id>:<f>:<v>``."""

    id: int  # course id
    f: str  # date | title | prov | hours | num | file
    v: str = ""  # prov: the chosen provider; hours, num: "-" clears the field


class ProviderCallback(CallbackData, prefix="cp"):
    p: str  # orleu | talap | other


class KindCallback(CallbackData, prefix="ck"):
    """The kind of a course being added: ``ck:<kind>``."""

    k: str  # a code of backend.courses.programmes.COURSE_KINDS


class ProgrammeCallback(CallbackData, prefix="cg"):
    """The long-term programme (Order 266, para 26) of a course being added: ``cg:<id>``."""

    p: str  # a programme id of backend/courses/data/programmes.yaml (p1 … p7)


# The CourseCallback actions each module answers; My courses itself answers the rest.
ADD_ACTIONS = ("add", "skip", "kinds")
EDIT_ACTIONS = ("show", "cert", "del", "delok")
