"""Position search in Kazakh and Russian, tolerant of case, typos and Kazakh letters typed on a
Russian keyboard (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, һ→х, і→и)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.rules.loader import Ruleset

KAZAKH_TO_RUSSIAN_KEYS = str.maketrans("әғқңөұүһі", "агкноуухи")
WORD = re.compile(r"[0-9a-zа-яё]+")
STOP_WORDS = frozenset(
    {"және", "мен", "или", "и", "в", "для", "по", "бойынша", "ұйымының", "организации"}
)


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е").translate(KAZAKH_TO_RUSSIAN_KEYS)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(normalize(text)) if w not in STOP_WORDS]


def _word_score(query: str, word: str) -> float:
    if query == word:
        return 1.0
    if word.startswith(query) and len(query) >= 3:
        return 0.9  # a stem: "тәрбиеші" ~ "тәрбиешісі"
    if query.startswith(word) and len(word) >= 4:
        return 0.85
    if len(query) < 4:
        return 0.0
    ratio = SequenceMatcher(None, query, word).ratio()  # a typo: "учитль"
    return ratio * 0.85 if ratio >= 0.75 else 0.0


def _entries(ruleset: Ruleset) -> list[tuple[str, set[str], set[str]]]:
    """Per position: its id, the words of its names, and its aliases' words (weighted higher)."""
    cached = getattr(ruleset, "_search_entries", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    entries = []
    for position in ruleset.positions.values():
        name_words = set(words(position.name.kk)) | set(words(position.name.ru))
        alias_words = {w for alias in position.aliases for w in words(alias)}
        entries.append((position.id, name_words, alias_words))
    object.__setattr__(ruleset, "_search_entries", entries)
    return entries


def search_positions(ruleset: Ruleset, query: str, limit: int = 10) -> list[tuple[str, float]]:
    """Position ids with a score in (0, 1], best first."""
    query = query.strip()
    if not query:
        return []
    if query in ruleset.positions:
        return [(query, 1.0)]
    terms = words(query)
    if not terms:
        return []
    scored = []
    for position_id, name_words, alias_words in _entries(ruleset):
        total = 0.0
        for term in terms:
            best_alias = max((_word_score(term, w) for w in alias_words), default=0.0)
            best_name = max((_word_score(term, w) for w in name_words), default=0.0)
            total += max(best_alias * 1.1, best_name)
        score = total / len(terms) / 1.1
        if score >= 0.5:
            # among equal matches, the shorter (more specific) name first
            scored.append((position_id, round(score - 0.002 * len(name_words), 3)))
    scored.sort(key=lambda item: (-item[1], _sort_key(item[0])))
    return scored[:limit]


def _sort_key(position_id: str) -> tuple[int, int, str]:
    chapter, paragraph = position_id.split(".")
    digits = "".join(ch for ch in paragraph if ch.isdigit())
    return int(chapter), int(digits or 0), paragraph


def nearest_ids(ruleset: Ruleset, text: str, limit: int = 3) -> list[str]:
    """Suggestions for an unknown position: ids that look alike, else names that match."""
    ids = list(ruleset.positions)
    close = sorted(ids, key=lambda i: -SequenceMatcher(None, text, i).ratio())
    alike = [i for i in close if SequenceMatcher(None, text, i).ratio() >= 0.6][:limit]
    return alike or [pid for pid, _ in search_positions(ruleset, text, limit)]


def position_sort_key(position_id: str) -> tuple[int, int, str]:
    return _sort_key(position_id)
