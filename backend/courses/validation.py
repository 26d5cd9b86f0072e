"""Course input: parse and check what a teacher types or an API client sends.

Errors carry a stable ``code`` the bot localizes and the API returns; never free text only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from backend.courses.programmes import COURSE_KINDS, load_programmes
from backend.i18n import LANGUAGES, N_, translations

EARLIEST_COMPLETION: Final = dt.date(1991, 1, 1)  # no Kazakh certificate predates independence
PROVIDERS: Final = ("orleu", "talap", "other")
MIN_HOURS, MAX_HOURS = 1, 2000
MAX_TITLE, MAX_CERTIFICATE_NUMBER, MAX_FILE_ID, MAX_TOPIC = 512, 64, 256, 256
MAX_PROVIDER_NAME = 128  # the name of an "other" provider, as typed
DISPLAY_FORMAT: Final = "%d.%m.%Y"

_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What is left of a control character once whitespace is folded to single spaces (NUL, bell,
# escape, DEL…) or a lone surrogate: PostgreSQL refuses NUL, files and log lines break.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

FIELDS: Final = (
    "completed_on",
    "title",
    "provider",
    "provider_name",
    "hours",
    "certificate_number",
    "certificate_file_id",
    "certificate_sha256",
    "course_kind",
    "programme",
    "topic",
)
REQUIRED: Final = ("completed_on", "title", "provider")


class CourseInputError(ValueError):
    """One or more invalid fields; ``problems`` is [(field, code), …]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(", ".join(f"{field}: {code}" for field, code in problems))
        self.problems = problems

    @property
    def codes(self) -> list[str]:
        return [code for _, code in self.problems]


class _FieldError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def format_date(day: dt.date) -> str:
    """DD.MM.YYYY, as dates are shown to teachers."""
    return day.strftime(DISPLAY_FORMAT)


def parse_date(text: str) -> dt.date:
    """ "DD.MM.YYYY", "D.M.YYYY" or "YYYY-MM-DD"; codes date_format, date_invalid (31.02.2024)."""
    raw = text.strip()
    if match := _DOTTED.fullmatch(raw):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.fullmatch(raw):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise _FieldError("date_format")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _FieldError("date_invalid") from None


def check_completion_date(value: Any, today: dt.date) -> dt.date:
    """A completion date: parsed, not after ``today`` (Almaty), not before 1991."""
    if isinstance(value, dt.datetime):
        raise _FieldError("date_format")
    day = value if isinstance(value, dt.date) else None
    if day is None:
        if not isinstance(value, str):
            raise _FieldError("date_format")
        day = parse_date(value)
    if day > today:
        raise _FieldError("date_future")
    if day < EARLIEST_COMPLETION:
        raise _FieldError("date_too_early")
    return day


def _one_line(value: str) -> str:
    """``value`` on one line (line breaks, tabs and runs of spaces become one space); code
    text_controls for any other control character."""
    line = " ".join(value.split())
    if _CONTROLS.search(line):
        raise _FieldError("text_controls")
    return line


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _FieldError("title_empty")
    title = _one_line(value)
    if len(title) > MAX_TITLE:
        raise _FieldError("title_too_long")
    return title


def _provider(value: Any) -> str:
    provider = value.strip().lower() if isinstance(value, str) else None
    if provider not in PROVIDERS:
        raise _FieldError("provider_unknown")
    return provider


def _hours(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError("hours_format")
    if not MIN_HOURS <= value <= MAX_HOURS:
        raise _FieldError("hours_range")
    return value


def _optional_text(limit: int, code: str) -> Any:
    def check(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise _FieldError(code)
        line = _one_line(value)
        if len(line) > limit:
            raise _FieldError(code)
        return line

    return check


def _sha256(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.fullmatch(value.strip().lower()):
        raise _FieldError("sha256_format")
    return value.strip().lower()


def _course_kind(value: Any) -> str:
    kind = value.strip().lower() if isinstance(value, str) else None
    if kind not in COURSE_KINDS:
        raise _FieldError("course_kind_unknown")
    return kind


def _programme(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in load_programmes().ids:
        raise _FieldError("programme_unknown")
    return value.strip().lower()


_CHECKS: Final = {
    "title": _title,
    "provider": _provider,
    "provider_name": _optional_text(MAX_PROVIDER_NAME, "provider_name_invalid"),
    "hours": _hours,
    "certificate_number": _optional_text(MAX_CERTIFICATE_NUMBER, "certificate_number_invalid"),
    "certificate_file_id": _optional_text(MAX_FILE_ID, "certificate_file_id_invalid"),
    "certificate_sha256": _sha256,
    "course_kind": _course_kind,
    "programme": _programme,
    "topic": _optional_text(MAX_TOPIC, "topic_invalid"),
}


@dataclass(frozen=True)
class CourseInput:
    completed_on: dt.date
    title: str
    provider: str
    provider_name: str | None = None
    hours: int | None = None
    certificate_number: str | None = None
    certificate_file_id: str | None = None
    certificate_sha256: str | None = None
    course_kind: str = "other"
    programme: str | None = None  # one of the seven of para 26, for a long-term course only
    topic: str | None = None  # the certificate's topic (para 25)


def _programme_fits(changes: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    """A programme belongs to a long-term course: another kind clears it, and a programme
    given with another kind is an error."""
    kind = changes.get("course_kind")
    if kind is None:
        if changes.get("programme") is not None:
            changes["course_kind"] = "long_term"
        return
    if kind != "long_term":
        if changes.get("programme") is not None:
            problems.append(("programme", "programme_needs_long_term"))
        changes["programme"] = None


def validate_changes(raw: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The valid fields of a partial update (PATCH); unknown fields are an error too."""
    problems = [(name, "unknown_field") for name in raw if name not in FIELDS]
    changes: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in FIELDS:
            continue
        try:
            if name == "completed_on":
                changes[name] = check_completion_date(value, today)
            else:
                changes[name] = _CHECKS[name](value)
        except _FieldError as exc:
            problems.append((name, exc.code))
    _programme_fits(changes, problems)
    if problems:
        raise CourseInputError(problems)
    return changes


def validate_course(raw: Mapping[str, Any], today: dt.date) -> CourseInput:
    """A whole new course; ``completed_on``, ``title`` and ``provider`` are required."""
    missing = [(name, "required") for name in REQUIRED if raw.get(name) is None]
    try:
        changes = validate_changes(raw, today)
    except CourseInputError as exc:
        raise CourseInputError(missing + exc.problems) from None
    if missing:
        raise CourseInputError(missing)
    return CourseInput(**changes)


# The title Sanat gives a course recorded by "I've done it" (a msgid): stored in the language
# of the moment, shown in the reader's language whatever that was.
DEFAULT_TITLE = N_("Refresher course")


def is_default_title(title: str) -> bool:
    """Whether ``title`` is Sanat's default title in any language (not one the teacher typed)."""
    names = {DEFAULT_TITLE, *(translations(lang).gettext(DEFAULT_TITLE) for lang in LANGUAGES)}
    return title.strip() in names
