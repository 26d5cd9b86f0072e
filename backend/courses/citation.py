"""The source a course reminder cites, in the reader's language.

The ruleset names the refresher rule's sources by their Kazakh titles (the seed's words); the
catalogs hold each title in every language, keyed here by that Kazakh title. A source the table
does not know is cited as the data names it.
"""

from __future__ import annotations

from backend.i18n import N_, Message, msg, translations

# The data's act (backend/rules/data/ruleset.yaml, refresher) → its msgid.
ACT_NAMES = {
    "Нұсқаулық-әдістемелік ұсынымдар 2022-2023 (ТжКОББ)": N_(
        "Instructional and methodological recommendations 2022–2023 (TVET)"
    ),
    "Нұсқаулық-әдістемелік ұсынымдар 2022-2023 (ТжКОББ); ҚР БҒМ 08.04.2022 №146 бұйрығы": N_(
        "Instructional and methodological recommendations 2022–2023 (TVET); order No. 146 of "
        "the Ministry of Education and Science of 08.04.2022"
    ),
}


def act_message(act: str) -> Message | str:
    """The act as a message key translated when sent, or the data's text when unknown."""
    msgid = ACT_NAMES.get(act.strip())
    return msg(msgid) if msgid else act


def act_text(act: str, language: str) -> str:
    """The act's name in ``language`` now (a calendar file)."""
    msgid = ACT_NAMES.get(act.strip())
    return translations(language).gettext(msgid) if msgid else act
