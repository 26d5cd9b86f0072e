"""Position search in Kazakh and Russian, tolerant of case, typos and Kazakh letters typed on a
Russian keyboard (ә→а, ғ→г, қ→к, ң→н, ө→о, ұ/ү→у, һ→х, і→и)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from backend.rules.cache import per_ruleset

if TYPE_CHECKING:
    from backend.rules.loader import Ruleset

KAZAKH_TO_RUSSIAN_KEYS = str.maketrans("әғқңөұүһі", "агкноуухи")
WORD = re.compile(r"[0-9a-zа-яё]+")
TERM_CACHE_SIZE = 4096  # query words whose scores are remembered per ruleset
FUZZY = 0.75  # the least similarity that still counts a word as a typo of another
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
    # the cheap upper bounds first: most words of the vocabulary are nowhere near. The first is
    # SequenceMatcher.real_quick_ratio (lengths alone), computed before building a matcher.
    length = len(query) + len(word)
    if 2.0 * min(len(query), len(word)) / length < FUZZY:
        return 0.0
    matcher = SequenceMatcher(None, query, word)  # a typo: "учитль"
    if matcher.quick_ratio() < FUZZY:
        return 0.0
    ratio = matcher.ratio()
    return ratio * 0.85 if ratio >= FUZZY else 0.0


class SearchIndex:
    """Words of every position's names and aliases, with the vocabulary they share.

    A query term is compared once with each distinct word of the vocabulary (a few thousand),
    not once per position: fuzzy matching is what costs, so it is done once per word.
    """

    def __init__(self, ruleset: Ruleset) -> None:
        self.names: dict[str, frozenset[str]] = {}
        self.aliases: dict[str, frozenset[str]] = {}
        for position in ruleset.positions.values():
            self.names[position.id] = frozenset(words(position.name.kk) + words(position.name.ru))
            self.aliases[position.id] = frozenset(
                word for alias in position.aliases for word in words(alias)
            )
        self.vocabulary = frozenset().union(*self.names.values(), *self.aliases.values())
        # Teachers type the same few position names: a term's scores are remembered (the index
        # never changes), so a repeated search costs no fuzzy matching.
        self.term_scores: Callable[[str], dict[str, float]] = functools.lru_cache(
            maxsize=TERM_CACHE_SIZE
        )(self._term_scores)

    def _term_scores(self, term: str) -> dict[str, float]:
        """How well ``term`` matches each word of the vocabulary (only words that match)."""
        scores = {}
        for word in self.vocabulary:
            score = _word_score(term, word)
            if score:
                scores[word] = score
        return scores

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        terms = words(query)
        if not terms:
            return []
        per_term = [self.term_scores(term) for term in terms]
        scored = []
        for position_id, name_words in self.names.items():
            alias_words = self.aliases[position_id]
            total = 0.0
            for scores in per_term:
                best_alias = max((scores.get(w, 0.0) for w in alias_words), default=0.0)
                best_name = max((scores.get(w, 0.0) for w in name_words), default=0.0)
                total += max(best_alias * 1.1, best_name)
            score = total / len(terms) / 1.1
            if score >= 0.5:
                # among equal matches, the shorter (more specific) name first
                scored.append((position_id, round(score - 0.002 * len(name_words), 3)))
        scored.sort(key=lambda item: (-item[1], _sort_key(item[0])))
        return scored[:limit]


search_index = per_ruleset(SearchIndex)  # built once per ruleset object


def search_positions(ruleset: Ruleset, query: str, limit: int = 10) -> list[tuple[str, float]]:
    """Position ids with a score in (0, 1], best first."""
    query = query.strip()
    if not query:
        return []
    if query in ruleset.positions:
        return [(query, 1.0)]
    return search_index(ruleset).search(query, limit)


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
