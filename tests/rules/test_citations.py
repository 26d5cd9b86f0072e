"""Citations read correctly in kk and ru; the verbatim screen's clauses are reflowed text."""

from __future__ import annotations

from backend.rules.citations import cite, reflow
from backend.rules.clauses import packaged_clauses, verbatim_clauses
from backend.rules.loader import Ruleset

CLAUSES_66_67 = [
    {"act": "338", "chapter": 3, "paragraph": "7", "clause": "66"},
    {"act": "338", "chapter": 3, "paragraph": "7", "clause": "67"},
]


def test_kazakh_citation_is_grammatical(ruleset: Ruleset) -> None:
    assert cite(ruleset, CLAUSES_66_67, "kk") == [
        "№338 бұйрық, 3-тарау, 7-параграф, 66, 67-тармақтар"
    ]
    assert cite(ruleset, CLAUSES_66_67[:1], "kk") == [
        "№338 бұйрық, 3-тарау, 7-параграф, 66-тармақ"
    ]


def test_russian_citation(ruleset: Ruleset) -> None:
    assert cite(ruleset, CLAUSES_66_67, "ru") == [
        "Приказ №338, глава 3, параграф 7, пункты 66, 67"
    ]


def test_chapter_9_has_no_paragraph(ruleset: Ruleset) -> None:
    citation = [{"act": "338", "chapter": 9, "paragraph": "", "clause": "245"}]
    assert cite(ruleset, citation, "ru") == ["Приказ №338, глава 9, пункт 245"]


def test_reflow_joins_hard_breaks_and_drops_page_numbers() -> None:
    text = "12. Талаптар:\nжоғары білім,\n17\nжұмыс өтілі кемінде 5 жыл;\nнемесе санат"
    assert reflow(text) == "12. Талаптар:\nжоғары білім, жұмыс өтілі кемінде 5 жыл;\nнемесе санат"


def test_the_verbatim_clauses_are_every_cited_clause_without_line_breaks(ruleset: Ruleset) -> None:
    clauses = verbatim_clauses(ruleset, "3.7", "kk")
    assert [c.citation for c in clauses] == [
        "№338 бұйрық, 3-тарау, 7-параграф, 66-тармақ",
        "№338 бұйрық, 3-тарау, 7-параграф, 67-тармақ",
    ]
    raw = packaged_clauses()["3.7"]["requirements"]["kk"]
    assert clauses[0].text.count("\n") < raw.count("\n")
    assert (
        "бейін бойынша жоғары және (немесе) жоғары оқу орнынан кейінгі педагогикалық"
        in clauses[0].text
    )
