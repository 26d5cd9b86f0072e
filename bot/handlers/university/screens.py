"""University self-check screens as pure functions over the card data (``backend.university``)."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from backend.umo.directory import UmoDirectory
from backend.university.cards import CardCatalog, Item
from backend.university.service import SelfCheckResult
from bot.handlers.university.callbacks import UniversityCallback
from bot.shared.callbacks import MenuCallback
from bot.shared.screen import Screen, short


def scale_labels() -> tuple[str, str, str, str]:
    return (_("Not yet"), _("Partly"), _("Confident"), _("Can teach others"))


def not_in_source() -> str:
    return _(
        "ℹ️ The source (Order 616) amends only cards 3-5: cards 1-2, NQF levels and "
        "qualification requirements are not in it, so Sanat does not assess them. University "
        "teaching staff are not placed on the teacher-category ladder (Order 338): this check "
        "is a self-reflection, not a category decision."
    )


def cards_screen(catalog: CardCatalog, language: str) -> Screen:
    builder = InlineKeyboardBuilder()
    for card in catalog.cards:
        builder.button(
            text=short(f"{card.card}. {card.title(language)}", 60),
            callback_data=UniversityCallback(a="card", c=card.card),
        )
    builder.button(
        text=_("🧭 My training direction (UMO news)"), callback_data=UniversityCallback(a="dirs")
    )
    builder.button(text=_("🏠 Menu"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    text = "\n\n".join(
        [
            _("<b>🎓 University teaching staff: self-check</b>"),
            _(
                "Choose your profession card. You will rate each ability and knowledge item of "
                "the amended wording on a four-step scale."
            ),
            not_in_source(),
        ]
    )
    return Screen(text, builder.as_markup())


def _kind(item: Item) -> str:
    return _("Ability") if item.kind == "ability" else _("Knowledge")


def _where(catalog: CardCatalog, item: Item, language: str) -> str:
    function = catalog.function(item.function)
    skill = catalog.skill(item.function, item.skill)
    f_text = function.kk if language == "kk" else function.ru
    s_text = skill.kk if language == "kk" else skill.ru
    return _("Labour function {f}: {f_text}; skill {s}: {s_text}").format(
        f=item.function, f_text=escape(f_text), s=item.skill, s_text=escape(s_text)
    )


def item_screen(catalog: CardCatalog, card: int, index: int, language: str) -> Screen:
    items = catalog.items_of(card)
    item = items[index]
    builder = InlineKeyboardBuilder()
    for value, label in enumerate(scale_labels()):
        builder.button(
            text=label, callback_data=UniversityCallback(a="rate", c=card, i=index, v=value)
        )
    builder.button(text=_("✖ Cancel"), callback_data=UniversityCallback(a="cards"))
    builder.adjust(2, 2, 1)
    lines = [
        _("Card {card} · item {n} of {total}").format(card=card, n=index + 1, total=len(items)),
        f"<i>{_where(catalog, item, language)}</i>",
        "",
        f"<b>{_kind(item)}:</b> {escape(item.text(language))}",
    ]
    if language != "kk":
        lines.append(_("(working translation; the Kazakh text is the official one)"))
    lines += ["", escape(catalog.citation(item))]
    return Screen("\n".join(lines), builder.as_markup())


def result_screen(catalog: CardCatalog, result: SelfCheckResult, language: str) -> Screen:
    lines = [
        _("<b>🎓 Self-check result: card {card}</b>").format(card=result.card),
        _("Score: {score} of {top}.").format(score=result.score, top=result.top),
        "",
    ]
    if result.strengths:
        lines.append(_("<b>Strengths</b>"))
        lines += [f"• {escape(item.text(language))}" for item in result.strengths]
        lines.append("")
    if result.to_develop:
        lines.append(_("<b>Areas to develop</b>"))
        for item in result.to_develop:
            lines.append(f"• {escape(item.text(language))}")
            lines.append(f"  <i>{_where(catalog, item, language)}</i>")
            lines.append(f"  {escape(catalog.citation(item))}")
        lines.append("")
    if result.previous_score is None:
        lines.append(_("This is your first self-check of this card."))
    else:
        lines.append(
            _("Compared with your previous self-check: {before} → {after}.").format(
                before=result.previous_score, after=result.score
            )
        )
        if result.improved:
            lines.append(_("Improved: {count}").format(count=len(result.improved)))
            lines += [f"  ↑ {escape(c.item.text(language))}" for c in result.improved]
        if result.declined:
            lines.append(_("Lower than before: {count}").format(count=len(result.declined)))
            lines += [f"  ↓ {escape(c.item.text(language))}" for c in result.declined]
        if not result.improved and not result.declined:
            lines.append(_("No item changed."))
    lines += ["", not_in_source()]
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🔁 Check again"), callback_data=UniversityCallback(a="card", c=result.card)
    )
    builder.button(text=_("🏠 Menu"), callback_data=MenuCallback(item="home"))
    builder.adjust(1)
    text = "\n".join(lines)
    return Screen(text[:4000], builder.as_markup())


def directions_screen(directory: UmoDirectory, chosen: str | None) -> Screen:
    """Every training direction of Order 400 annex 2; a button per direction (its index)."""
    lines = [_("<b>🧭 Your training direction</b>"), ""]
    seen: set[str] = set()
    for umo in directory.umos:
        if umo.direction in seen:
            continue
        seen.add(umo.direction)
        mark = "✅ " if umo.direction == chosen else ""
        lines.append(f"{mark}<b>{escape(umo.direction)}</b> {escape(short(umo.name, 70))}")
    lines += [
        "",
        _("Choose yours: you will receive the news of its UMO (Order 400, annex 2)."),
    ]
    builder = InlineKeyboardBuilder()
    for index, code in enumerate(directory.directions):
        builder.button(
            text=code,
            callback_data=UniversityCallback(a="dir", i=index),
        )
    builder.button(text=_("⬅ Back"), callback_data=UniversityCallback(a="cards"))
    builder.adjust(*([6] * (len(directory.directions) // 6)), len(directory.directions) % 6, 1)
    return Screen("\n".join(lines)[:4000], builder.as_markup())


def direction_chosen(directory: UmoDirectory, code: str) -> str:
    umos = directory.for_direction(code)
    bases = "\n".join(
        f"• {escape(umo.base)}" + (f" ({escape(umo.scope)})" if umo.scope else "") for umo in umos
    )
    doubtful = any(umo.doubtful for umo in umos)
    text = _(
        "✅ You will receive the news of the UMO of direction {code}. Its base university:\n"
        "{bases}"
    ).format(code=escape(code), bases=bases)
    if doubtful:
        text += "\n" + _(
            "⚠️ The table of the order is garbled here: this reading is an assumption."
        )
    return text
