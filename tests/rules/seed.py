"""The seed texts beside the checkout (../shared/seeds), as CI provides them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testing.databases import REQUIRE_ENV

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
ORDER_338 = SEEDS / "002_1f946b8a025cd79c.txt"


def seed_lines() -> list[str]:
    if not ORDER_338.exists():
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{ORDER_338} is missing but {REQUIRE_ENV} is set")
        pytest.skip(f"seed text not found at {ORDER_338}")
    return ORDER_338.read_text(encoding="utf-8").splitlines()
