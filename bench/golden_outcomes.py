"""Golden outcomes: a regression check that engine optimizations change no behaviour.

Evaluates 5 000 random (position, answers) cases with a fixed seed and writes every Outcome as
JSON (``sort_keys=True``). Run it before a change and after, then compare the files byte for
byte. A second set perturbs the same kind of answers ("I don't know", unanswered keys,
qualification level, dates outside a position's validity) so that the paths the benchmark's
answers never take are pinned too; errors are recorded by their message.

Run: ``.venv/bin/python -m bench.golden_outcomes [--out /tmp/golden_before.json]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from backend.rules.answers import LEVELS, UNKNOWN, Answers, AnswersError, parse_answers
from backend.rules.engine import RulesError, engine_for
from backend.rules.loader import default_ruleset
from bench.engine import random_answers

CASES = 5000
SEED = 20261122
ON = dt.date(2026, 11, 22)
DATES = (ON, dt.date(2024, 1, 1), dt.date(2030, 1, 1), dt.date(2021, 1, 1))


def _perturbed(rng: random.Random, answers: Answers) -> Answers:
    """The same answers with some facts dropped, declared unknown or given directly."""
    raw = answers.as_json()
    for key in list(raw):
        roll = rng.random()
        if roll < 0.15:
            del raw[key]
        elif roll < 0.25 and key not in ("experience", "competencies"):
            raw[key] = UNKNOWN
    if rng.random() < 0.3:
        raw["qualification_level"] = rng.choice([*LEVELS, UNKNOWN])
    for group in ("experience", "competencies"):
        if isinstance(raw.get(group), dict):
            for key in list(raw[group]):
                if rng.random() < 0.15:
                    raw[group][key] = UNKNOWN
    return parse_answers(raw)


def _outcome(position_id: str, answers: Answers, on: dt.date) -> Any:
    try:
        return engine_for(default_ruleset()).evaluate(position_id, answers, on).to_dict()
    except (RulesError, AnswersError) as exc:
        return {"error": type(exc).__name__, "message": str(exc)}


def generate() -> list[dict[str, Any]]:
    ruleset = default_ruleset()
    positions = list(ruleset.positions.values())
    rng = random.Random(SEED)
    records: list[dict[str, Any]] = []
    for index in range(CASES):
        position = rng.choice(positions)
        answers = random_answers(rng, position)
        records.append(
            {
                "case": index,
                "position": position.id,
                "answers": answers.as_json(),
                "outcome": _outcome(position.id, answers, ON),
            }
        )
    for index in range(CASES):
        position = rng.choice(positions)
        answers = _perturbed(rng, random_answers(rng, position))
        on = rng.choice(DATES)
        records.append(
            {
                "case": f"perturbed-{index}",
                "position": position.id,
                "on": on.isoformat(),
                "answers": answers.as_json(),
                "outcome": _outcome(position.id, answers, on),
            }
        )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/golden_before.json"))
    args = parser.parse_args()
    text = json.dumps(generate(), sort_keys=True, ensure_ascii=False, indent=1)
    args.out.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    print(f"wrote {args.out} ({len(text):,} characters, sha256 {digest})")


if __name__ == "__main__":
    main()
