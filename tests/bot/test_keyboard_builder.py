"""KeyboardBuilder lays out buttons exactly as aiogram's builder does, without deep copies."""

from __future__ import annotations

from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.shared.keyboards import KeyboardBuilder


def build(builder: InlineKeyboardBuilder) -> InlineKeyboardBuilder:
    for number in range(13):
        builder.button(text=f"☐ {number}", callback_data=f"c:{number}")
    builder.adjust(5, 5, 3)
    builder.button(text="✔", callback_data="done")
    builder.adjust(5, 5, 3, 1)
    return builder


def test_the_same_markup_as_aiograms_builder() -> None:
    ours, theirs = build(KeyboardBuilder()), build(InlineKeyboardBuilder())
    assert ours.as_markup() == theirs.as_markup()
    assert [len(row) for row in ours.export()] == [5, 5, 3, 1]


def test_an_exported_markup_does_not_change_with_the_builder() -> None:
    builder = KeyboardBuilder()
    builder.button(text="a", callback_data="a")
    exported = builder.export()
    builder.button(text="b", callback_data="b")
    assert [[b.text for b in row] for row in exported] == [["a"]]
