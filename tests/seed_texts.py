"""The seed texts beside the checkout (``shared/seeds`` next to it or one level up, as in a
worktree), as CI provides them; a missing text fails when CI requires it, else skips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing.databases import REQUIRE_ENV

HERE = Path(__file__).resolve()


def seeds_dir() -> Path | None:
    for parent in HERE.parents:
        candidate = parent / "shared" / "seeds"
        if candidate.is_dir():
            return candidate
    return None


def seed_lines(name: str) -> list[str]:
    folder = seeds_dir()
    if folder is None or not (folder / name).exists():
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"seed text {name} is missing but {REQUIRE_ENV} is set")
        pytest.skip(f"seed text {name} not found")
    return (folder / name).read_text(encoding="utf-8").splitlines()
