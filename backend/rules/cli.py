"""``sanat rules positions | evaluate | show | impact | changes`` from the command line."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import IO, Any

from backend.rules.answers import AnswersError, parse_answers
from backend.rules.engine import RulesError, engine_for
from backend.rules.impact import counts_per_position, impact, impact_csv, stored_assessments
from backend.rules.loader import (
    RulesDataError,
    Ruleset,
    available_versions,
    default_ruleset,
    ruleset_version,
)
from backend.rules.render import outcome_text, position_text
from backend.rules.search import position_sort_key, search_positions


def position_summary(ruleset: Ruleset, position_id: str) -> dict[str, Any]:
    position = ruleset.positions[position_id]
    return {
        "id": position.id,
        "name_kk": position.name.kk,
        "name_ru": position.name.ru,
        "chapter": position.chapter,
        "paragraph": position.paragraph,
        "clause": position.clauses.requirements,
        "org_kind": position.org_kind,
        "staff_kind": position.staff_kind,
        "has_ladder": position.ladder is not None,
    }


def _dump(data: Any, out: IO[str]) -> None:
    out.write(json.dumps(data, ensure_ascii=False) + "\n")


def cmd_positions(args: argparse.Namespace) -> int:
    ruleset = default_ruleset()
    if args.search:
        ids = [pid for pid, _ in search_positions(ruleset, args.search, limit=20)]
    else:
        ids = sorted(ruleset.positions, key=position_sort_key)
    rows = [position_summary(ruleset, pid) for pid in ids]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for row in rows:
            print(f"{row['id']:>6}  {row[f'name_{args.lang}']}")
        if not rows:
            print(f"no position matches {args.search!r}", file=sys.stderr)
    return 0 if rows else 1


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def evaluate_request(ruleset: Ruleset, request: Any) -> dict[str, Any]:
    """One JSON request {position, answers, on?} to one Outcome, or raise a readable error."""
    if not isinstance(request, dict) or "position" not in request:
        raise AnswersError(["each request needs a 'position' (and optionally 'answers', 'on')"])
    on = request.get("on")
    try:
        date = dt.date.fromisoformat(on) if on else dt.date.today()
    except (TypeError, ValueError):
        raise AnswersError([f"on: not a date (YYYY-MM-DD): {on!r}"]) from None
    answers = parse_answers(request.get("answers"))
    return engine_for(ruleset).evaluate(str(request["position"]), answers, date).to_dict()


def cmd_evaluate(args: argparse.Namespace) -> int:
    ruleset = default_ruleset()
    if args.batch:
        return _evaluate_batch(ruleset, args.batch)
    if not args.position:
        print(
            "sanat rules evaluate: give --position ID (with --answers) or --batch FILE",
            file=sys.stderr,
        )
        return 2
    try:
        answers_raw = _read_json(args.answers) if args.answers else {}
        request = {"position": args.position, "answers": answers_raw, "on": args.on}
        outcome = evaluate_request(ruleset, request)
    except (AnswersError, RulesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError) as exc:
        print(f"error: cannot read answers: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(outcome, ensure_ascii=False, indent=1))
    else:
        print(outcome_text(outcome, ruleset, args.lang))
    return 0


def _evaluate_batch(ruleset: Ruleset, source: str) -> int:
    stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    failures = 0
    try:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                _dump(evaluate_request(ruleset, json.loads(line)), sys.stdout)
            except json.JSONDecodeError as exc:
                failures += 1
                _dump({"error": f"line {number}: not JSON: {exc}"}, sys.stdout)
            except (AnswersError, RulesError) as exc:
                failures += 1
                _dump({"error": f"line {number}: {exc}"}, sys.stdout)
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 1 if failures else 0


def cmd_show(args: argparse.Namespace) -> int:
    ruleset = default_ruleset()
    try:
        compiled = engine_for(ruleset).position(args.id)
    except RulesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(position_text(compiled.position, ruleset, args.lang))
    return 0


def cmd_impact(args: argparse.Namespace) -> int:
    """Re-evaluate every stored assessment under two versions; print what changes."""
    try:
        old, new = ruleset_version(args.from_version), ruleset_version(args.to_version)
    except RulesDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stored = asyncio.run(_read_assessments())
    rows = impact(old, new, stored)
    print(
        f"{len(stored)} stored assessments re-evaluated, {len(rows)} change "
        f"from {old.version} to {new.version}"
    )
    for position_id, count in counts_per_position(rows).items():
        print(f"{position_id:>6}  {count}")
    table = impact_csv(rows)
    if args.csv == "-":
        sys.stdout.write(table)
    elif args.csv:
        Path(args.csv).write_text(table, encoding="utf-8")
        print(f"wrote {args.csv}")
    return 0


async def _read_assessments() -> list[Any]:
    from backend.db import create_engine, create_session_pool
    from backend.settings import load_settings

    engine = create_engine(load_settings().database)
    try:
        async with create_session_pool(engine)() as session:
            return await stored_assessments(session)
    finally:
        await engine.dispose()


def cmd_changes(args: argparse.Namespace) -> int:
    from backend.rules.changes import changes_json

    print(json.dumps(changes_json(), ensure_ascii=False, indent=1))
    return 0


def add_rules_commands(commands: Any) -> None:
    rules = commands.add_parser("rules", help="query the rules of Order No. 338")
    sub = rules.add_subparsers(dest="rules_command", required=True, metavar="RULES_COMMAND")

    positions = sub.add_parser("positions", help="list or search positions (kk or ru)")
    positions.add_argument(
        "--search", metavar="TEXT", help="words of the name, kk or ru, typos tolerated"
    )
    positions.add_argument("--format", choices=("json", "text"), default="text")
    positions.add_argument("--lang", choices=("kk", "ru"), default="ru")
    positions.set_defaults(handler=cmd_positions)

    evaluate = sub.add_parser("evaluate", help="evaluate answers for a position (one Outcome)")
    evaluate.add_argument("--position", metavar="ID", help="position id, e.g. 3.7")
    evaluate.add_argument("--answers", metavar="FILE|-", help="answers JSON file, or - for stdin")
    evaluate.add_argument("--on", metavar="DATE", help="evaluate under the rules in force on DATE")
    evaluate.add_argument(
        "--batch", metavar="FILE|-", help='JSON lines {"position", "answers", "on"?}'
    )
    evaluate.add_argument("--format", choices=("json", "text"), default="json")
    evaluate.add_argument("--lang", choices=("kk", "ru"), default="ru")
    evaluate.set_defaults(handler=cmd_evaluate)

    show = sub.add_parser("show", help="a position's requirements and the verbatim clause")
    show.add_argument("id", help="position id, e.g. 2.4")
    show.add_argument("--lang", choices=("kk", "ru"), default="ru")
    show.set_defaults(handler=cmd_show)

    versions = ", ".join(available_versions())
    change = sub.add_parser(
        "impact", help="stored assessments whose outcome changes between two ruleset versions"
    )
    change.add_argument("--from", dest="from_version", required=True, help=f"one of {versions}")
    change.add_argument("--to", dest="to_version", required=True, help=f"one of {versions}")
    change.add_argument("--csv", metavar="FILE|-", help="also write the changed rows as CSV")
    change.set_defaults(handler=cmd_impact)

    listing = sub.add_parser("changes", help="ruleset versions and their changes (JSON)")
    listing.set_defaults(handler=cmd_changes)
