"""Full evaluations per second and p99 latency over all 91 positions with random answers.

Goal (issue 3): >= 50 000 evaluations/s on one core and p99 < 0.2 ms.
Run: ``.venv/bin/python -m bench.engine [--n 200000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from typing import Any

from backend.rules.answers import (
    CATEGORIES,
    EDUCATIONS,
    EXPERIENCE_KINDS,
    NO_CATEGORY,
    UNKNOWN,
    Answers,
    parse_answers,
)
from backend.rules.engine import engine_for
from backend.rules.loader import default_ruleset


def random_answers(rng: random.Random, position: Any) -> Answers:
    raw: dict[str, Any] = {
        "education": rng.choice([*EDUCATIONS, UNKNOWN]),
        "education_pedagogical": rng.choice([True, False, True]),
        "pedagogical_retraining": rng.choice([True, False]),
        "locality": rng.choice(["urban", "rural"]),
        "centre_level": rng.choice(["regional", "district"]),
        "academic_degree": rng.random() < 0.1,
        "reserve_officer": rng.random() < 0.1,
        "special_education_direction": rng.random() < 0.3,
        "professional_retraining": rng.random() < 0.3,
        "current_category": rng.choice([*CATEGORIES, NO_CATEGORY]),
        "experience": {
            kind: round(rng.uniform(0, 25), 1) for kind in EXPERIENCE_KINDS if rng.random() < 0.8
        },
    }
    if position.entry.variants:
        raw["variant"] = rng.choice(["general", *(v.id for v in position.entry.variants)])
    if position.ladder:
        competencies: dict[str, Any] = {}
        for category in position.ladder.categories:
            if category.competencies and rng.random() < 0.7:
                ids = [item.id for item in category.competencies.items]
                competencies[category.id] = rng.choice(
                    ["all", "none", rng.sample(ids, k=len(ids) // 2)]
                )
        raw["competencies"] = competencies
    return parse_answers(raw)


def run(n: int, seed: int) -> dict[str, float]:
    ruleset = default_ruleset()
    engine = engine_for(ruleset)
    rng = random.Random(seed)
    positions = list(ruleset.positions.values())
    cases = [(p.id, random_answers(rng, p)) for p in (rng.choice(positions) for _ in range(2000))]
    on = dt.date(2026, 11, 22)
    for position_id, answers in cases[:500]:  # warm up
        engine.evaluate(position_id, answers, on)
    samples: list[float] = []
    started = time.perf_counter()
    clock = time.perf_counter_ns
    for index in range(n):
        position_id, answers = cases[index % len(cases)]
        t0 = clock()
        engine.evaluate(position_id, answers, on)
        samples.append(clock() - t0)
    elapsed = time.perf_counter() - started
    samples.sort()
    return {
        "evaluations": n,
        "per_second": n / elapsed,
        "p50_ms": samples[len(samples) // 2] / 1e6,
        "p99_ms": samples[int(len(samples) * 0.99)] / 1e6,
        "mean_ms": statistics.fmean(samples) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures = run(args.n, args.seed)
    print(
        f"engine: {figures['evaluations']:,} full evaluations over 91 positions, one core\n"
        f"  {figures['per_second']:,.0f} evaluations/s (goal >= 50,000)\n"
        f"  p50 {figures['p50_ms']:.4f} ms, p99 {figures['p99_ms']:.4f} ms (goal < 0.2 ms), "
        f"mean {figures['mean_ms']:.4f} ms"
    )


if __name__ == "__main__":
    main()
