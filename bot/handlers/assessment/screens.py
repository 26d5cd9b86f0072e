"""Self-assessment screens as pure functions: (text, keyboard) from the dialog and the rules.

Texts are HTML (the bot's default parse mode): everything from data or users is escaped.
"""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from backend.rules.answers import NOT_APPLICABLE_PREFIX
from backend.rules.loader import Ruleset
from backend.rules.questions import Question
from backend.rules.search import position_sort_key
from bot.handlers.assessment import texts
from bot.handlers.assessment.callbacks import (
    CHECK_ALL,
    CHECK_DONE,
    CHECK_NONE,
    CHECK_UNKNOWN,
    AnswerCallback,
    ChecklistCallback,
    NavCallback,
    OrgKindCallback,
    PositionCallback,
    PositionPageCallback,
    ResultCallback,
    ReviewCallback,
    SummaryCallback,
)
from bot.handlers.assessment.dialog import Dialog
from bot.handlers.university.callbacks import UniversityCallback
from bot.shared.callbacks import MenuCallback
from bot.shared.keyboards import KeyboardBuilder
from bot.shared.screen import Screen, distinct_labels, sentence

PAGE_SIZE = 8


def org_kinds(ruleset: Ruleset) -> list[str]:
    return list(ruleset.meta.org_kinds)


def org_kind_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    builder = KeyboardBuilder()
    names = [ruleset.meta.org_kinds[kind].get(lang) for kind in org_kinds(ruleset)]  # type: ignore[index]
    labels = distinct_labels(names)
    for index, label in enumerate(labels):
        builder.button(text=label, callback_data=OrgKindCallback(t=dialog.token, k=index))
    # university teaching staff have their own self-check (Order 616), not Order 338's ladder
    builder.button(
        text=_("🎓 University (teaching staff)"), callback_data=UniversityCallback(a="cards")
    )
    builder.button(text=_("✖ Cancel"), callback_data=NavCallback(t=dialog.token, a="cancel"))
    builder.adjust(1)
    text = _(
        "Where do you work? Choose the kind of organisation, or just type the name of your "
        "position (for example: «учитель», «тәрбиеші»)."
    )
    return Screen(text + full_names(names, labels), builder.as_markup())


def positions_of_kind(ruleset: Ruleset, kind: str) -> list[str]:
    ids = [pid for pid, p in ruleset.positions.items() if p.org_kind == kind]
    return sorted(ids, key=position_sort_key)


def positions_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    kinds = org_kinds(ruleset)
    kind = dialog.org_kind or kinds[0]
    ids = positions_of_kind(ruleset, kind)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(dialog.page, 0), pages - 1)
    builder = KeyboardBuilder()
    shown = ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    names = [ruleset.positions[pid].name.get(lang) for pid in shown]
    labels = distinct_labels(names)
    for pid, label in zip(shown, labels, strict=True):
        builder.button(text=label, callback_data=PositionCallback(t=dialog.token, id=pid))
    sizes = [1] * len(shown)
    index = kinds.index(kind)
    nav = 0
    if page > 0:
        builder.button(
            text="◀", callback_data=PositionPageCallback(t=dialog.token, k=index, p=page - 1)
        )
        nav += 1
    if page < pages - 1:
        builder.button(
            text="▶", callback_data=PositionPageCallback(t=dialog.token, k=index, p=page + 1)
        )
        nav += 1
    if nav:
        sizes.append(nav)
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=dialog.token, a="kinds"))
    sizes.append(1)
    builder.adjust(*sizes)
    kind_name = ruleset.meta.org_kinds[kind].get(lang)  # type: ignore[index]
    text = _("{kind}: choose your position (page {page} of {pages}), or type its name.").format(
        kind=escape(kind_name), page=page + 1, pages=pages
    )
    return Screen(text + full_names(names, labels), builder.as_markup())


def full_names(names: list[str], labels: list[str]) -> str:
    """The whole names behind buttons whose label had to be cut, for the message text."""
    cut = [(label, name) for name, label in zip(names, labels, strict=True) if label != name]
    if not cut:
        return ""
    return "\n\n" + "\n".join(f"• <b>{escape(label)}</b> — {escape(name)}" for label, name in cut)


def search_screen(
    dialog: Dialog, ruleset: Ruleset, lang: str, found: list[str], query: str
) -> Screen:
    builder = KeyboardBuilder()
    names = [ruleset.positions[pid].name.get(lang) for pid in found]
    labels = distinct_labels(names)
    for pid, label in zip(found, labels, strict=True):
        builder.button(text=label, callback_data=PositionCallback(t=dialog.token, id=pid))
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=dialog.token, a="kinds"))
    builder.adjust(1)
    if found:
        text = _("Positions matching «{query}»:").format(query=escape(query))
        text += full_names(names, labels)
    else:
        text = _(
            "No position matches «{query}». Check the spelling, try another word, or choose "
            "from the list."
        ).format(query=escape(query))
    return Screen(text, builder.as_markup())


def progress(dialog: Dialog, question: Question) -> str:
    if dialog.editing is not None and dialog.editing in dialog.history:
        # one answer is being changed: no step count, which would read "Step 6 of about 6"
        return _("Changing answer {number}").format(
            number=dialog.history.index(dialog.editing) + 1
        )
    current = len(dialog.history) + 1
    total = current + question.remaining - 1
    return _("Step {current} of about {total}").format(current=current, total=total)


def question_screen(dialog: Dialog, question: Question, ruleset: Ruleset, lang: str) -> Screen:
    assert dialog.position is not None
    position = ruleset.positions[dialog.position]
    question_text = texts.question_text(question.fact, ruleset, lang, dialog.position)
    lines = [  # a message holds 4096 characters: the position's name is never cut
        f"<i>{escape(position.name.get(lang))}</i>",
        f"<i>{progress(dialog, question)}</i>",
        "",
        f"<b>{escape(sentence(question_text))}</b>",
    ]
    builder = KeyboardBuilder()
    sizes: list[int] = []
    token, step = dialog.token, dialog.step
    if question.kind in ("choice", "category"):
        options = [
            texts.option_name(question, option, ruleset, lang) for option in question.options
        ]
        labels = distinct_labels(options)
        for index, label in enumerate(labels):
            builder.button(text=label, callback_data=AnswerCallback(t=token, s=step, v=str(index)))
            sizes.append(1)
        if cut := full_names(options, labels):
            lines.append(cut.rstrip())
    elif question.kind == "boolean":
        builder.button(text=texts.yes(), callback_data=AnswerCallback(t=token, s=step, v="y"))
        builder.button(text=texts.no(), callback_data=AnswerCallback(t=token, s=step, v="n"))
        sizes.append(2)
    elif question.kind == "years":
        lines.append(_("Type the number of years, for example 5 or 5,5."))
    elif question.kind == "competencies":
        for number, item in enumerate(question.items, start=1):
            mark = checklist_mark(dialog.checklist, item["id"])
            lines.append(f"{mark} {number}. {escape(item.get(lang) or item['ru'])}")
        if any("optional" in item for item in question.items):
            lines += [
                "",
                _(
                    "Items marked «if any» may not apply to you: press them twice for "
                    "➖ «does not apply»."
                ),
            ]
        for number, item in enumerate(question.items, start=1):
            mark = checklist_mark(dialog.checklist, item["id"])
            builder.button(
                text=f"{mark} {number}",
                callback_data=ChecklistCallback(t=token, s=step, i=number - 1),
            )
        sizes.extend(
            [5] * (len(question.items) // 5)
            + ([len(question.items) % 5] if len(question.items) % 5 else [])
        )
        builder.button(
            text=_("☑ Tick all"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_ALL)
        )
        builder.button(
            text=_("☐ Clear all"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_NONE)
        )
        builder.button(
            text=_("✔ Done"), callback_data=ChecklistCallback(t=token, s=step, i=CHECK_DONE)
        )
        sizes.extend([2, 1])
    if question.kind == "competencies":
        builder.button(
            text=texts.dont_know(),
            callback_data=ChecklistCallback(t=token, s=step, i=CHECK_UNKNOWN),
        )
    else:
        builder.button(
            text=texts.dont_know(), callback_data=AnswerCallback(t=token, s=step, v="u")
        )
    sizes.append(1)
    builder.button(text=_("⬅ Back"), callback_data=NavCallback(t=token, a="back"))
    nav = 1
    if dialog.history:
        builder.button(text=_("📋 My answers"), callback_data=NavCallback(t=token, a="review"))
        nav += 1
    sizes.append(nav)
    builder.adjust(*sizes)
    return Screen("\n".join(lines), builder.as_markup())


def review_screen(dialog: Dialog, ruleset: Ruleset, lang: str) -> Screen:
    from backend.rules.assessments import get_fact

    assert dialog.position is not None
    position = ruleset.positions[dialog.position]
    lines = [f"<b>{escape(position.name.get(lang))}</b>", _("Your answers:"), ""]
    builder = KeyboardBuilder()
    for index, fact in enumerate(dialog.history):
        value = get_fact(dialog.answers, fact)
        label = texts.answer_label(fact, value, ruleset, lang)
        lines.append(
            f"{index + 1}. {escape(texts.fact_label(fact, ruleset, lang))}: <b>{escape(label)}</b>"
        )
        builder.button(
            text=f"✎ {index + 1}", callback_data=ReviewCallback(t=dialog.token, i=index)
        )
    columns = [5] * (len(dialog.history) // 5) + (
        [len(dialog.history) % 5] if len(dialog.history) % 5 else []
    )
    builder.button(text=_("▶ Continue"), callback_data=NavCallback(t=dialog.token, a="continue"))
    builder.adjust(*columns, 1)
    lines += ["", _("Press ✎ and a number to change that answer; the others are kept.")]
    return Screen("\n".join(lines), builder.as_markup())


def checklist_mark(checklist: list[str], item: str) -> str:
    """☑ ticked, ➖ "does not apply" (a "(бар болса)" item), ☐ not ticked."""
    if item in checklist:
        return "☑"
    return "➖" if NOT_APPLICABLE_PREFIX + item in checklist else "☐"


def result_keyboard(dialog: Dialog, saved: bool) -> InlineKeyboardMarkup:
    builder = KeyboardBuilder()
    builder.button(
        text=_("📜 The clause's text"), callback_data=ResultCallback(t=dialog.token, a="clause")
    )
    if not saved:
        builder.button(
            text=_("💾 Save my answers"), callback_data=ResultCallback(t=dialog.token, a="save")
        )
    if dialog.assessment_id is not None:
        builder.button(
            text=_("📄 PDF summary"), callback_data=SummaryCallback(id=dialog.assessment_id)
        )
    builder.button(
        text=_("🖼 Save as picture"), callback_data=ResultCallback(t=dialog.token, a="pic")
    )
    builder.button(
        text=_("✎ Change answers"), callback_data=ResultCallback(t=dialog.token, a="review")
    )
    builder.button(
        text=_("🔁 New assessment"), callback_data=ResultCallback(t=dialog.token, a="new")
    )
    builder.button(text=_("🏠 Menu"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    return builder.as_markup()
