"""OpenFisca-style scenarios in tests/rules_cases: name, position, date, answers, expected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.rules.answers import parse_answers
from backend.rules.engine import RulesError, engine_for
from backend.rules.loader import Ruleset

CASES_DIR = Path(__file__).resolve().parent.parent / "rules_cases"


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


def test_every_chapter_has_at_least_three_cases() -> None:
    per_chapter: dict[str, int] = {}
    for param in load_cases():
        chapter = param.values[0]["position"].split(".")[0]
        per_chapter[chapter] = per_chapter.get(chapter, 0) + 1
    assert {str(c) for c in range(2, 11)} <= set(per_chapter)
    assert min(per_chapter.values()) >= 3


@pytest.mark.parametrize("case", load_cases())
def test_scenario(case: dict[str, Any], ruleset: Ruleset) -> None:
    engine = engine_for(ruleset)
    on = case["date"] if isinstance(case["date"], dt.date) else dt.date.fromisoformat(case["date"])
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(RulesError, match=expected["error"]):
            engine.evaluate(case["position"], parse_answers(case["answers"]), on).to_dict()
        return
    outcome = engine.evaluate(case["position"], parse_answers(case["answers"]), on).to_dict()
    for key, value in expected.items():
        _check(outcome, key, value)
    assert outcome["disclaimer"]["kk"]
    assert outcome["disclaimer"]["ru"]


def _check(outcome: dict[str, Any], key: str, value: Any) -> None:
    """One expectation of a scenario against the Outcome's JSON."""
    if key == "categories":
        statuses = {category["id"]: category["status"] for category in outcome["categories"]}
        if value == {}:
            assert statuses == {}
        for category, status in value.items():
            assert statuses[category] == status, category
    elif key == "route_statuses":
        routes = {reason["route"]: reason["status"] for reason in outcome["position_reasons"]}
        for route, status in value.items():
            assert routes[route] == status, route
    elif key == "next_category":
        assert outcome["next"]["category"] == value
    elif key == "next_missing":
        assert outcome["next"]["missing"] == value
    elif key == "first_missing":
        assert outcome["missing_facts"][0] == value
    elif key == "missing_not":
        assert value not in outcome["missing_facts"]
    elif key == "assumptions_quote":
        quotes = [a.get("quote") or "" for a in outcome["assumptions"]]
        assert any(value in quote for quote in quotes), quotes
    else:
        assert outcome[key] == value, key
