"""What each dialog step waits for: its prompt, shown again when a message does not fit the step
(a sticker where a date is typed, a photo where a button is pressed) and after the language was
changed mid-step, so the step goes on in the new language instead of silently catching the next
message as something else (a typed date taken as the course's title).

The self-assessment is not here: it redraws its own question (``assessment.handlers.advance``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.handlers.broadcasts.keyboards import content_prompt
from bot.handlers.broadcasts.states import BroadcastStates
from bot.handlers.channels.states import ChannelStates, DutyStates
from bot.handlers.courses.add import (
    add_question,
    provider_name_question,
    question_text,
    title_question,
)
from bot.handlers.courses.handlers import date_question
from bot.handlers.courses.screens import add_kinds_screen, add_programmes_screen, providers_screen
from bot.handlers.courses.states import CourseStates
from bot.handlers.staff.roster import upload_instructions
from bot.handlers.staff.states import StaffStates
from bot.shared.screen import Screen


def buttons_above() -> Screen:
    return Screen(_("Please use the buttons of the message above, or /cancel to leave."))


def _text(text: Callable[[], str]) -> Callable[[], Screen]:
    return lambda: Screen(text())


def _assessment_buttons() -> Screen:
    return Screen(
        _(
            "Please answer with the buttons under the question (type a number only where "
            "years are asked), or /cancel to leave the self-assessment."
        )
    )


def _choosing_position() -> Screen:
    return Screen(_("Please choose with the buttons, or type the name of your position as text."))


@cache  # the mapping is fixed; each prompt is worded when it is called
def _prompts() -> dict[str | None, Callable[[], Screen]]:
    from bot.handlers.assessment.states import AssessmentStates
    from bot.handlers.menu import MenuStates

    return {
        CourseStates.done_date.state: date_question,
        CourseStates.add_date.state: date_question,
        CourseStates.add_title.state: title_question,
        CourseStates.add_provider.state: providers_screen,
        CourseStates.add_provider_name.state: provider_name_question,
        CourseStates.add_kind.state: add_kinds_screen,
        CourseStates.add_programme.state: lambda: add_programmes_screen(get_i18n().current_locale),
        CourseStates.add_topic.state: lambda: add_question("topic"),
        CourseStates.add_hours.state: lambda: add_question("hours"),
        CourseStates.add_certificate_number.state: lambda: add_question("num"),
        CourseStates.add_certificate_file.state: lambda: add_question("file"),
        CourseStates.edit_value.state: _text(
            lambda: _("Type the new value as text, or /cancel to keep the old one.")
        ),
        CourseStates.edit_file.state: _text(lambda: question_text("file")),
        StaffStates.upload.state: _text(upload_instructions),
        BroadcastStates.content.state: content_prompt,
        BroadcastStates.second.state: _text(
            lambda: _("Send the variant in the other language, or press Skip above.")
        ),
        BroadcastStates.topic.state: buttons_above,
        BroadcastStates.audience.state: buttons_above,
        BroadcastStates.preview.state: buttons_above,
        BroadcastStates.schedule.state: _text(
            lambda: _("Type when to send it, in Almaty time, as DD.MM.YYYY HH:MM.")
        ),
        ChannelStates.link.state: _text(
            lambda: _(
                "Type the public link, like https://t.me/zhastalap or https://t.me/+AbCdEf12. "
                "Type - to remove it."
            )
        ),
        ChannelStates.organisation.state: _text(
            lambda: _("Type a part of the organisation's name (or its number):")
        ),
        DutyStates.day.state: _text(lambda: _("Type the day of the month, from 1 to 28:")),
        DutyStates.material.state: _text(
            lambda: _(
                "Send the material as a text, a photo, a document or a forwarded channel post."
            )
        ),
        MenuStates.confirm_delete.state: buttons_above,
        AssessmentStates.org_kind.state: _choosing_position,
        AssessmentStates.position.state: _choosing_position,
        AssessmentStates.question.state: _assessment_buttons,
        AssessmentStates.review.state: buttons_above,
        AssessmentStates.result.state: buttons_above,
    }


def step_prompt(state: str | None) -> Screen | None:
    """The prompt of the dialog step ``state`` in the current language; None outside any."""
    if state is None:
        return None
    prompt = _prompts().get(state)
    return prompt() if prompt is not None else None
