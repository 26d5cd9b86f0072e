"""Validate rules data files: ``python -m backend.rules.check FILE...`` (no files: all of them)."""

from __future__ import annotations

import sys
from pathlib import Path

from backend.rules.loader import RulesDataError, load_chapter, load_ruleset


def main(argv: list[str]) -> int:
    try:
        if not argv:
            ruleset = load_ruleset()
            print(f"ruleset {ruleset.version}: {len(ruleset.positions)} positions")
            return 0
        for name in argv:
            chapter = load_chapter(Path(name))
            ids = ", ".join(position.id for position in chapter.positions)
            print(f"{name}: chapter {chapter.chapter}, {len(chapter.positions)} positions: {ids}")
    except RulesDataError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
