"""The broadcast reach chart: localized words, the totals and shares, the largest groups and
the rest summed up, no overlapping text."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.pictures.reach import (
    MAX_GROUPS,
    Counts,
    ReachData,
    ReachGroup,
    ReachPoint,
    draw_reach,
    reach_labels,
    render_reach,
)
from backend.pictures.style import WIDTH
from tests.pictures.support import (
    LANGUAGES,
    assert_no_overlap,
    assert_png,
    assert_readable_on_a_phone,
    catalog,
    drawn_texts,
)

START = dt.datetime(2026, 12, 4, 15, 0)
WORDS = {
    "kk": ("Тарату №7: қамту", "Жеткізілді", "Ботты бұғаттағандар", "Өңірлер бойынша", "тағы 2"),
    "ru": ("Рассылка №7: охват", "Доставлено", "Заблокировали бота", "По регионам", "ещё 2"),
}


def data(groups: int = MAX_GROUPS + 2, minutes: int = 90) -> ReachData:
    points = [
        ReachPoint(START + dt.timedelta(minutes=m), Counts(100 * m, 3 * m, m // 10))
        for m in range(minutes + 1)
    ]
    named = [
        ReachGroup(f"Облыс {i} " + "ұзын атау " * (i % 4), Counts(100 * i, 3, 1))
        for i in range(1, groups + 1)
    ]
    return ReachData(points, named, points[-1].counts.total + 50)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_words_are_the_curators_language(language: str) -> None:
    chart = data()
    canvas = draw_reach(
        chart, reach_labels(catalog(language), chart, broadcast_id=7, grouping="region")
    )
    texts = drawn_texts(canvas)
    joined = " ".join(texts)  # a long tile name wraps onto two lines
    for word in WORDS[language]:
        assert word in joined
    # sent, and its share of everyone the broadcast was for (9 000 of 9 329)
    assert "9 000 · 96%" in texts
    assert "9 · <1%" in texts  # a few failures are never shown as 0%
    assert any(t.startswith("04.12.2026 15:00–16:30") for t in texts)
    assert {"15:00", "15:30", "16:00"} <= set(texts)  # time ticks
    assert not {"Delivered", "By region"} & set(texts)
    assert_no_overlap(canvas)
    assert_readable_on_a_phone(canvas)


def test_only_the_largest_groups_get_a_bar_and_the_rest_is_summed() -> None:
    chart = data(groups=MAX_GROUPS + 2)
    canvas = draw_reach(
        chart, reach_labels(catalog("ru"), chart, broadcast_id=7, grouping="organisation")
    )
    texts = drawn_texts(canvas)
    assert "По организациям" in texts
    assert "ещё 2" in texts
    assert "308" in texts  # groups 1 and 2, the smallest, summed: 100 + 200 sent, 2 x (3 + 1)
    assert not any(t.startswith("Облыс 1 ") for t in texts)


@pytest.mark.parametrize(
    "chart",
    [
        data(groups=0, minutes=0),  # over within a minute, no groups
        ReachData([], [], 0),  # nothing sent at all
        data(groups=1, minutes=3000),  # over two days
    ],
)
def test_edge_cases_still_draw_cleanly(chart: ReachData) -> None:
    canvas = draw_reach(
        chart, reach_labels(catalog("kk"), chart, broadcast_id=1, grouping="region")
    )
    assert_no_overlap(canvas)
    width, height = assert_png(
        render_reach(chart, reach_labels(catalog("kk"), chart, broadcast_id=1, grouping="region"))
    )
    assert width == WIDTH
    assert 300 <= height <= 1400
