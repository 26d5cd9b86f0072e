"""Refresher-course dialog states. Their names are stored: treat them as a stable API."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class CourseStates(StatesGroup):
    done_date = State()  # "I finished the course" on another date: type DD.MM.YYYY
    add_date = State()  # adding a course: type its completion date
    add_title = State()  # adding a course: type its title
    add_provider = State()  # adding a course: choose the provider
    add_provider_name = State()  # adding a course: "other" provider: type its name
    add_kind = State()  # adding a course: choose its kind (short, long-term, heads, other)
    add_programme = State()  # adding a long-term course: choose its programme (para 26)
    add_topic = State()  # adding a course: type its topic (para 25), or skip
    add_hours = State()  # adding a course: type its hours, or skip
    add_certificate_number = State()  # adding a course: type the certificate number, or skip
    add_certificate_file = State()  # adding a course: send the certificate file, or skip
    edit_value = State()  # editing a recorded course: type the new value of one field
    edit_file = State()  # editing a recorded course: send the new certificate file
