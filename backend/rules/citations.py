"""Citations as people read them, in kk, ru or en, from the ruleset's ``citation_format``.

"№338 бұйрық, 3-тарау, 7-параграф, 66, 67-тармақтар" / "Приказ №338, глава 3, параграф 7,
пункты 66, 67": one citation per chapter and paragraph, its clauses in the text's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from backend.rules.loader import Ruleset

_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_CLAUSE_NUMBER = re.compile(r"^\d+\.\s")
_ITEM = re.compile(r"^(\d+\)|[-–•])\s")
_HEADER = re.compile(r"^(\d+\.|\d+\))\s")  # "66. …:" or "1) "педагог":" ends a heading


def cite(ruleset: Ruleset, citations: Iterable[Mapping[str, Any]], language: str) -> list[str]:
    """One line per (act, chapter, paragraph) with every clause cited there."""
    fmt = ruleset.meta.citation_format
    grouped: dict[tuple[str, Any, Any], dict[str, None]] = {}
    for citation in citations:
        key = (
            str(citation.get("act") or "338"),
            citation.get("chapter"),
            citation.get("paragraph"),
        )
        clause = citation.get("clause")
        grouped.setdefault(key, {})
        if clause not in (None, ""):
            grouped[key][str(clause)] = None
    lines = []
    for (act, chapter, paragraph), clauses in grouped.items():
        if fmt is None:  # an old ruleset without formats: the plain English form
            lines.append(
                f"Order No. {act}, ch. {chapter}, § {paragraph}, cl. {', '.join(clauses)}"
            )
            continue
        parts = [fmt.act.get(language).format(act=act)]
        if chapter is not None:
            parts.append(fmt.chapter.get(language).format(chapter=chapter))
        if paragraph:
            parts.append(fmt.paragraph.get(language).format(paragraph=paragraph))
        if clauses:
            template = fmt.clauses if len(clauses) > 1 else fmt.clause
            parts.append(template.get(language).format(clauses=", ".join(clauses)))
        lines.append(", ".join(parts))
    return lines


def reflow(text: str) -> str:
    """The seed's hard-wrapped clause text as paragraphs: lines joined into sentences, page
    numbers dropped; a new paragraph where the text starts a clause, an item or a new
    ";"-separated requirement."""
    paragraphs: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _PAGE_NUMBER.match(line):
            continue
        starts_new = (
            not paragraphs
            or _CLAUSE_NUMBER.match(line) is not None
            or _ITEM.match(line) is not None
            or paragraphs[-1].endswith((";", "."))
            or (paragraphs[-1].endswith(":") and _HEADER.match(paragraphs[-1]) is not None)
        )
        if starts_new:
            paragraphs.append(line)
        else:
            joiner = (
                "" if paragraphs[-1].endswith("-") and not paragraphs[-1].endswith(" -") else " "
            )
            paragraphs[-1] = paragraphs[-1] + joiner + line
    return "\n".join(paragraphs)
