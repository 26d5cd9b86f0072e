"""One derived object (compiled engine, search index) per ruleset object, built on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from backend.rules.loader import Ruleset

T = TypeVar("T")


def per_ruleset(build: Callable[[Ruleset], T]) -> Callable[[Ruleset], T]:
    """Memoise ``build`` by ruleset identity (Ruleset holds dicts, so it is not hashable)."""
    built: dict[int, tuple[Ruleset, T]] = {}

    def get(ruleset: Ruleset) -> T:
        cached = built.get(id(ruleset))
        if cached is None or cached[0] is not ruleset:  # an id can be reused after GC
            cached = (ruleset, build(ruleset))
            built[id(ruleset)] = cached
        return cached[1]

    get.__doc__ = build.__doc__
    return get
