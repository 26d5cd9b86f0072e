"""The data covers every position heading of Order 338 exactly once, at the right lines."""

from __future__ import annotations

import re

from backend.rules.clauses import build, packaged_clauses
from backend.rules.loader import Ruleset
from tests.rules.seed import seed_lines

CHAPTER = re.compile(r"(?:^|\s)(\d+)-тарау\.")
# "4-параграф.", "1- Параграф.", "11- параграф.", "Параграф 16."
PARAGRAPH = re.compile(r"^\s*(?:(\d+)-\s?[Пп]араграф\.|Параграф (\d+)\.)")


def seed_headings() -> list[tuple[str, int, str]]:
    """(position id, line, marker) for every position heading of the seed, in order."""
    headings: list[tuple[str, int, str]] = []
    chapter = 0
    seen: dict[str, int] = {}
    for number, line in enumerate(seed_lines(), start=1):
        chapter_match = CHAPTER.search(line)
        if chapter_match:
            chapter = int(chapter_match.group(1))
            if chapter == 9:  # the college director: no numbered paragraph of its own
                headings.append(("9.1", number, "9-тарау."))
            continue
        match = PARAGRAPH.match(line)
        if match and chapter >= 2:
            paragraph = match.group(1) or match.group(2)
            key = f"{chapter}.{paragraph}"
            seen[key] = seen.get(key, 0) + 1
            marker = match.group(0).strip()
            headings.append((key, number, marker))
    # the text numbers two paragraphs "14" in chapter 3: 3.14a and 3.14b
    fixed: list[tuple[str, int, str]] = []
    for key, number, marker in headings:
        position_id = key
        if seen.get(key, 1) > 1:
            index = sum(1 for k, _, _ in fixed if k.startswith(key))
            position_id = f"{key}{'ab'[index]}"
        fixed.append((position_id, number, marker))
    return fixed


def test_every_heading_of_the_seed_is_a_position(ruleset: Ruleset) -> None:
    headings = seed_headings()
    assert len(headings) == 91
    assert {key for key, _, _ in headings} == set(ruleset.positions)
    for key, line, marker in headings:
        position = ruleset.positions[key]
        assert position.heading.line == line, key
        assert (
            marker.startswith(position.heading.text.rstrip(".")) or position.heading.text in marker
        ), key


def test_the_odd_headings_are_kept_as_written(ruleset: Ruleset) -> None:
    markers = {key: marker for key, _, marker in seed_headings()}
    assert markers["2.1"] == "1- Параграф."
    assert markers["10.11"] == "11- параграф."
    assert markers["10.16"] == "Параграф 16."
    assert ruleset.positions["3.14a"].heading.line < ruleset.positions["3.14b"].heading.line


def test_clause_numbers_stand_in_the_positions_text(ruleset: Ruleset) -> None:
    lines = seed_lines()
    for position in ruleset.positions.values():
        first, last = position.lines
        text = lines[first - 1 : last]
        for clause in filter(None, vars(position.clauses).values()):
            assert any(re.match(rf"^\s*{clause}\.\s", line) for line in text), (
                position.id,
                clause,
            )


def test_every_citation_lies_inside_its_position(ruleset: Ruleset) -> None:
    for position in ruleset.positions.values():
        first, last = position.lines
        citations = [route.citation for route in position.entry.routes]
        for category in position.ladder.categories if position.ladder else ():
            citations += [c for c in (category.threshold_citation,) if c]
            citations += [category.competencies.citation] if category.competencies else []
        for citation in citations:
            assert first <= citation.lines[0] <= citation.lines[1] <= last, position.id
            assert citation.chapter == position.chapter, position.id


def test_competency_items_are_verbatim(ruleset: Ruleset) -> None:
    lines = seed_lines()

    def squash(text: str) -> str:  # PDF line breaks and quote marks differ from the data
        return re.sub(r"[\s\"«»“”]+", "", text)

    for position in ruleset.positions.values():
        for category in position.ladder.categories if position.ladder else ():
            if category.competencies is None:
                continue
            first, last = category.competencies.citation.lines
            cited = squash("".join(lines[first - 1 : last]))
            for item in category.competencies.items:
                assert squash(item.kk).rstrip(";.,") in cited, (position.id, category.id, item.id)


def test_packaged_verbatim_clauses_match_the_seed(ruleset: Ruleset) -> None:
    assert build(ruleset, "\n".join(seed_lines())) == packaged_clauses()
