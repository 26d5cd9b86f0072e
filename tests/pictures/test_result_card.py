"""The result card: every word of a long position name kept (wrapped, not cut), a mark per
step of the ladder, no overlapping text, as tall as its content."""

from __future__ import annotations

import pytest

from backend.pictures.result_card import (
    MARKS,
    ResultCard,
    Step,
    draw_result_card,
    render_result_card,
)
from backend.pictures.style import WIDTH
from tests.pictures.support import (
    assert_no_overlap,
    assert_png,
    assert_readable_on_a_phone,
    drawn_texts,
)

POSITION = {
    "kk": "Мектепке дейінгі тәрбие және оқыту ұйымдарының арнайы педагогі (мұғалім-дефектолог, "
    "дефектолог, мұғалім-логопед, логопед, олигофренопедагог, сурдопедагог, тифлопедагог)",
    "ru": "Руководитель (заведующий) специальной организации образования (кабинеты "
    "психолого-педагогической коррекции, реабилитационные центры, "
    "психолого-медико-педагогические консультации)",
}
STEPS = {
    "kk": [
        "педагог",
        "педагог-модератор",
        "педагог-сарапшы",
        "педагог-зерттеуші",
        "педагог-шебер",
    ],
    "ru": [
        "педагог",
        "педагог-модератор",
        "педагог-эксперт",
        "педагог-исследователь",
        "педагог-мастер",
    ],
}
STATUSES = ("met", "not_met", "unknown", "undetermined", "not_provided")


def card(language: str, steps: bool = True) -> ResultCard:
    return ResultCard(
        heading=f"{language}: 04.12.2026",
        position=POSITION[language],
        estimate_label="Бағалау" if language == "kk" else "Оценка",
        estimate=STEPS[language][0],
        estimated=True,
        ceiling=f"ceiling: {STEPS[language][4]}",
        verdict="yes",
        verdict_text="✓",
        ladder_heading="Санаттар" if language == "kk" else "Категории",
        steps=[
            Step(name, status, f"{name}: " + "себебі " * 20)  # type: ignore[arg-type]
            for name, status in zip(STEPS[language], STATUSES, strict=True)
        ]
        if steps
        else [],
        no_ladder="—",
        ruleset="338-2022.1, 11.04.2022",
        disclaimer="Бұл шешім емес." if language == "kk" else "Это не решение.",
    )


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_long_position_name_wraps_and_keeps_every_word(language: str) -> None:
    canvas = draw_result_card(card(language))
    texts = drawn_texts(canvas)
    title_lines = texts[1 : 1 + len(POSITION[language])]
    joined = ""
    for line in title_lines:
        joined = f"{joined} {line}".strip()
        if joined == POSITION[language]:
            break
    assert joined == POSITION[language]
    assert len(POSITION[language].split()) >= 2
    assert joined.count(" ") >= 3


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_step_has_its_mark_and_name(language: str) -> None:
    canvas = draw_result_card(card(language))
    texts = drawn_texts(canvas)
    for name, status in zip(STEPS[language], STATUSES, strict=True):
        assert name in texts
        assert MARKS[status][0] in texts  # type: ignore[index]
    assert {"✓", "✗", "?"} <= set(texts)
    assert "338-2022.1, 11.04.2022" in texts
    assert_no_overlap(canvas)
    assert_readable_on_a_phone(canvas)


def test_the_card_is_as_tall_as_its_content() -> None:
    full = assert_png(render_result_card(card("kk")))
    short = assert_png(render_result_card(card("kk", steps=False)))
    assert full[0] == short[0] == WIDTH
    assert full[1] > short[1] + 5 * 60
    assert short[1] >= 500
    assert "—" in drawn_texts(draw_result_card(card("kk", steps=False)))
