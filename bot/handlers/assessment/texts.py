"""Localized labels for the facts the engine asks and the options it offers.

Every label is looked up at call time with gettext, so the user's language at that moment wins.
Category, position and organisation-kind names come from the rules data, not from here.
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from backend.rules.loader import Ruleset
from backend.rules.questions import Question
from bot.shared.screen import sentence


def years(value: float) -> str:
    """ "1 жыл / 2 года / 5 лет": the plural form for the number of years."""
    whole = int(value)
    shown = f"{value:g}".replace(".", ",")
    if whole != value:  # a fraction takes the genitive singular in Russian: "2,5 года"
        return _("{years} years (fraction)").format(years=shown)
    return ngettext("{years} year", "{years} years", whole).format(years=shown)


def question_text(fact: str, ruleset: Ruleset, lang: str, position_id: str) -> str:
    if fact.startswith("experience."):
        return _("How many years of {kind} do you have?").format(
            kind=experience_kind(fact.split(".")[1])
        )
    if fact.startswith("competencies."):
        category = ruleset.category_name(fact.split(".")[1], lang)  # type: ignore[arg-type]
        return _(
            "Requirements for «{category}»: tick every item you meet, then press Done."
        ).format(category=category)
    texts = {
        "education": _("What is your education?"),
        "education_pedagogical": _(
            "Is your education pedagogical, or in the profile of this position?"
        ),
        "pedagogical_retraining": _("Do you hold a document of pedagogical retraining?"),
        "qualification_level": _("What is your qualification level?"),
        "locality": _("Where is your organisation?"),
        "centre_level": _("What level is your methodological centre?"),
        "academic_degree": _("Do you hold an academic degree?"),
        "current_category": _("Which qualification category do you hold now?"),
        "variant": _("Which of these describes your post?"),
    }
    return texts[fact]


def fact_label(fact: str, ruleset: Ruleset, lang: str) -> str:
    """A fact as a short noun phrase ("Education"), for "label: answer" lines."""
    if fact.startswith("experience."):
        return sentence(_("Years of {kind}").format(kind=experience_kind(fact.split(".")[1])))
    if fact.startswith("competencies."):
        name = ruleset.category_name(fact.split(".")[1], lang)  # type: ignore[arg-type]
        return sentence(_("Requirements for «{category}»").format(category=name))
    return fact_name(fact)


def fact_name(fact: str) -> str:
    """A fact other than years or a checklist as a short noun phrase: "Education"."""
    names = {
        "education": _("Education"),
        "education_pedagogical": _("Pedagogical or profile education"),
        "pedagogical_retraining": _("Pedagogical retraining"),
        "qualification_level": _("Qualification level"),
        "locality": _("Location of the organisation"),
        "centre_level": _("Level of the methodological centre"),
        "academic_degree": _("Academic degree"),
        "current_category": _("Current category"),
        "variant": _("Your post"),
    }
    return names[fact]


def option_name(question: Question, option: str, ruleset: Ruleset, lang: str) -> str:
    """One option of a choice question, in full: from the rules data, else from here."""
    names = question.option_names.get(option)
    if names:
        return str(names.get(lang, names.get("ru", option)))
    return option_label(question.fact, option, ruleset, lang)


def experience_kind(kind: str) -> str:
    kinds = {
        "pedagogical": _("pedagogical work"),
        "specialty": _("work in your specialty"),
        "position": _("work in this very position"),
        "organisation_type": _("work in organisations of this kind"),
        "management": _("work as head or deputy head of an education organisation"),
        "civil_service": _("civil service in education"),
        "industry": _("work at an enterprise of the matching profile"),
    }
    return kinds[kind]


def option_label(fact: str, option: str, ruleset: Ruleset, lang: str) -> str:
    if fact == "current_category":
        return _("None") if option == "none" else ruleset.category_name(option, lang)  # type: ignore[arg-type]
    labels = {
        "postgraduate": _("Postgraduate (master's, doctorate)"),
        "higher": _("Higher"),
        "tvet": _("Technical and vocational (college)"),
        "general_secondary": _("General secondary"),
        "high": _("High"),
        "medium": _("Medium"),
        "urban": _("In a town"),
        "rural": _("In a village"),
        "regional": _("Region, city of republican significance or the capital"),
        "district": _("District or city of regional significance"),
        "general": _("None of these (the general case)"),
    }
    return labels.get(option, option)


def yes() -> str:
    return _("Yes")


def no() -> str:
    return _("No")


def dont_know() -> str:
    return _("I don't know")


def answer_label(fact: str, value: object, ruleset: Ruleset, lang: str) -> str:
    """An answer as the review screen shows it."""
    if value == "unknown":
        return dont_know()
    if value is True:
        return yes()
    if value is False:
        return no()
    if fact.startswith("experience.") and isinstance(value, int | float):
        return years(float(value))
    if fact.startswith("competencies."):
        if value == "all":
            return _("all of them")
        if value == "none":
            return _("none of them")
        count = len(value) if isinstance(value, list) else 0
        return ngettext("{count} item", "{count} items", count).format(count=count)
    return option_label(fact, str(value), ruleset, lang)
