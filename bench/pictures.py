"""Drawing time per picture: the course timeline, the result card, the broadcast reach chart,
in Kazakh and Russian.

Goal (issue 17): each picture < 200 ms. The first picture of a process also pays for importing
matplotlib (printed apart: the bot pays it once, in a worker thread). Each round draws new
dates, titles and counts, so the text-width cache sees what production sees rather than the
same strings again. Wall time is the latency a user waits for; CPU time is the thread's own
work, which other processes on a busy machine cannot inflate.
Run: ``.venv/bin/python -m bench.pictures [--rounds 30]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from backend.pictures.catalog import catalog_for
from backend.pictures.reach import (
    Counts,
    ReachData,
    ReachGroup,
    ReachPoint,
    reach_labels,
    render_reach,
)
from backend.pictures.result_card import ResultCard, Step, StepStatus, render_result_card
from backend.pictures.timeline import (
    Course,
    TimelineData,
    Window,
    render_timeline,
    timeline_labels,
)

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("kk", "ru")
GOAL_MS = 200
TITLES = (
    "Жаңартылған білім беру мазмұны аясында пән мұғалімдерінің біліктілігін арттыру",
    "Цифровая грамотность педагога в условиях обновлённого содержания образования",
    "Инклюзивті білім беру",
    "Функциональная грамотность",
)
POSITION = (
    "Мектепке дейінгі тәрбие және оқыту ұйымдарының арнайы педагогі (мұғалім-дефектолог, "
    "дефектолог, мұғалім-логопед, логопед, олигофренопедагог, сурдопедагог, тифлопедагог)"
)
REGIONS = (
    "Алматы қаласы",
    "Астана қаласы",
    "Шымкент қаласы",
    "Түркістан облысы",
    "Қарағанды облысы",
    "Шығыс Қазақстан облысы",
    "Солтүстік Қазақстан облысы",
    "Батыс Қазақстан облысы",
    "Маңғыстау облысы",
    "Ақтөбе облысы",
    "Ұлытау облысы",
)


def timeline(rng: random.Random, language: str) -> bytes:
    today = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
    last = today - dt.timedelta(days=rng.randint(0, 1200))
    courses = [
        Course(last - dt.timedelta(days=365 * 3 * i + rng.randint(0, 60)), rng.choice(TITLES))
        for i in range(rng.randint(1, 4))
    ]
    window = Window(today + dt.timedelta(days=30), today + dt.timedelta(days=50))
    data = TimelineData(courses, last.replace(year=last.year + 3), today, window)
    return render_timeline(data, timeline_labels(catalog_for(LOCALES, language), data))


def result_card(rng: random.Random, language: str) -> bytes:
    statuses: tuple[StepStatus, ...] = (
        "met",
        "not_met",
        "unknown",
        "undetermined",
        "not_provided",
    )
    card = ResultCard(
        heading=f"Өзін-өзі бағалау нәтижесі, {rng.randint(1, 28):02}.12.2026",
        position=POSITION,
        estimate_label="Бағалау",
        estimate="педагог-модератор",
        estimated=True,
        ceiling="Білім мен өтіл мүмкіндік беретін шек: педагог-шебер",
        verdict="yes",
        verdict_text="Сіз лауазымның біліктілік талаптарына сәйкессіз.",
        ladder_heading="Санаттар",
        steps=[
            Step(f"педагог-{i}", statuses[i], f"тағы {rng.randint(1, 9)} жыл педагогикалық өтіл")
            for i in range(5)
        ],
        no_ladder="",
        ruleset="Ереже нұсқасы 338-2022.1, 11.04.2022 бастап қолданылады",
        disclaimer="Бұл ресми шешім емес, бұйрық мәтіні бойынша алдын ала бағалау. " * 2,
    )
    return render_result_card(card)


def reach(rng: random.Random, language: str) -> bytes:
    start = dt.datetime(2026, 12, 4, 15, rng.randint(0, 59))
    counts, points = Counts(), []
    for minute in range(rng.randint(30, 180)):
        counts = counts + Counts(rng.randint(80, 100), rng.randint(0, 4), rng.randint(0, 1))
        points.append(ReachPoint(start + dt.timedelta(minutes=minute), counts))
    groups = [
        ReachGroup(name, Counts(rng.randint(100, 2000), rng.randint(0, 60), rng.randint(0, 9)))
        for name in REGIONS
    ]
    data = ReachData(points, groups, counts.total + rng.randint(0, 100))
    labels = reach_labels(catalog_for(LOCALES, language), data, broadcast_id=12, grouping="region")
    return render_reach(data, labels)


PICTURES: dict[str, Callable[[random.Random, str], bytes]] = {
    "timeline": timeline,
    "result card": result_card,
    "reach chart": reach,
}


def run(rounds: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    figures: list[dict[str, object]] = []
    for name, draw in PICTURES.items():
        for language in LANGUAGES:
            wall: list[float] = []
            cpu: list[float] = []
            size = 0
            for _ in range(rounds):
                w0, c0 = time.perf_counter(), time.thread_time()
                size = len(draw(rng, language))
                cpu.append((time.thread_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
            wall.sort()
            figures.append(
                {
                    "picture": name,
                    "language": language,
                    "p50": statistics.median(wall),
                    "p95": wall[int(len(wall) * 0.95) - 1 if len(wall) > 1 else 0],
                    "max": wall[-1],
                    "cpu": statistics.fmean(cpu),
                    "bytes": size,
                }
            )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timeline(random.Random(0), "kk")  # imports matplotlib, loads the font and the catalogs
    first = (time.perf_counter() - started) * 1000
    print(f"pictures: first picture of the process (imports matplotlib) {first:.0f} ms")
    worst = 0.0
    rows = run(args.rounds, args.seed)
    for row in rows:
        worst = max(worst, float(row["p95"]))  # type: ignore[arg-type]
        print(
            f"  {row['picture']:<12} {row['language']}: p50 {row['p50']:.0f} ms, "
            f"p95 {row['p95']:.0f} ms, max {row['max']:.0f} ms wall; "
            f"CPU {row['cpu']:.0f} ms; {int(row['bytes']) // 1024} KiB"  # type: ignore[call-overload]
        )
    worst_cpu = max(float(row["cpu"]) for row in rows)  # type: ignore[arg-type]
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(
        f"  goal < {GOAL_MS} ms per picture: CPU {'met' if worst_cpu < GOAL_MS else 'NOT met'} "
        f"(worst mean {worst_cpu:.0f} ms); wall {'met' if worst < GOAL_MS else 'NOT met'} "
        f"(worst p95 {worst:.0f} ms) with {load:.1f} runnable processes per core"
    )


if __name__ == "__main__":
    main()
