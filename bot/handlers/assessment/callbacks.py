"""Callback data: short prefixes and ids only (Telegram allows 64 bytes of UTF-8).

Every dialog button carries the dialog's token and, where it answers a question, the step it
was shown at: a button from an old message (or from before a restart that lost the state) is
recognised as stale instead of being applied to a different question.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class OrgKindCallback(CallbackData, prefix="ok"):
    t: str  # dialog token
    k: int  # index into the ruleset's organisation kinds


class PositionPageCallback(CallbackData, prefix="pp"):
    t: str
    k: int
    p: int  # page


class PositionCallback(CallbackData, prefix="ps"):
    t: str
    id: str  # position id, e.g. "3.14a"


class AnswerCallback(CallbackData, prefix="a"):
    t: str
    s: int  # step the question was shown at
    v: str  # option index, "y", "n" or "u" (I don't know)


class ChecklistCallback(CallbackData, prefix="c"):
    t: str
    s: int
    i: int  # item index, or one of the CHECK_* actions


CHECK_ALL, CHECK_NONE, CHECK_DONE, CHECK_UNKNOWN = -1, -2, -3, -4


class NavCallback(CallbackData, prefix="n"):
    t: str
    a: str  # back | review | cancel | restart | continue | kinds | profile


class ReviewCallback(CallbackData, prefix="r"):
    t: str
    i: int  # index into the answered facts, in the order they were asked


class SummaryCallback(CallbackData, prefix="pdf"):
    id: int  # a stored assessment's id; the handler checks it is the user's own


class ResultCallback(CallbackData, prefix="res"):
    t: str
    a: str  # clause | save | pic | review | new


class ReopenCallback(CallbackData, prefix="ro"):
    """Under a rule-change notice (``backend.rules.notify``): ``ro:<assessment id>``."""

    id: int  # the stored assessment whose result changed
