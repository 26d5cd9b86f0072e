"""Rules over HTTP: positions (with kk/ru search), one position, evaluation, the next question."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from backend.rules.answers import AnswersError, parse_answers
from backend.rules.clauses import packaged_clauses
from backend.rules.cli import position_summary
from backend.rules.engine import RulesDateError, UnknownPositionError, engine_for
from backend.rules.search import position_sort_key, search_positions
from backend.web.bodies import read_model, reply
from backend.web.keys import ruleset_key
from backend.web.problems import ProblemError
from backend.web.schemas import rules as r
from backend.web.schemas.rules import MAX_POSITION_ID, MAX_QUERY, EvaluateRequest

MAX_LIMIT = 100


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "20")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or not 1 <= int(raw) <= MAX_LIMIT:
        raise ProblemError(
            400, "Bad Request", f"limit must be a whole number from 1 to {MAX_LIMIT}"
        )
    return int(raw)


async def list_positions(request: web.Request) -> web.Response:
    ruleset = request.app[ruleset_key]
    query = request.query.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise ProblemError(400, "Bad Request", f"q is longer than {MAX_QUERY} characters")
    org_kind = request.query.get("org_kind")
    limit = _limit(request)
    if query:
        ids = [pid for pid, _ in search_positions(ruleset, query, limit=MAX_LIMIT)]
    else:
        ids = sorted(ruleset.positions, key=position_sort_key)
    if org_kind:
        ids = [pid for pid in ids if ruleset.positions[pid].org_kind == org_kind]
    items = [position_summary(ruleset, pid) for pid in ids[:limit]]
    return reply(
        r.PositionList,
        {"items": items, "count": len(items), "ruleset_version": ruleset.version},
    )


def _unknown_position(exc: UnknownPositionError) -> ProblemError:
    return ProblemError(404, "Not Found", str(exc), suggestions=exc.suggestions)


async def get_position(request: web.Request) -> web.Response:
    ruleset = request.app[ruleset_key]
    position_id = request.match_info["position_id"]
    if len(position_id) > MAX_POSITION_ID:  # no id is that long: no suggestion search either
        raise ProblemError(404, "Not Found", "no such position", suggestions=[])
    try:
        compiled = engine_for(ruleset).position(position_id)
    except UnknownPositionError as exc:
        raise _unknown_position(exc) from None
    body = compiled.position.model_dump(mode="json", exclude_none=True)
    body["verbatim"] = packaged_clauses().get(compiled.position.id, {})
    body["ruleset_version"] = ruleset.version
    return reply(r.Position, body)


async def _evaluate_body(request: web.Request) -> tuple[dict[str, Any], Any]:
    body = await read_model(request, EvaluateRequest)
    position, raw_answers, on = body.position, body.answers, body.on or dt.date.today()
    engine = engine_for(request.app[ruleset_key])
    try:
        answers = parse_answers(raw_answers)
        return engine.evaluate(position, answers, on), (engine, position, answers, on)
    except AnswersError as exc:
        raise ProblemError(
            422, "Unprocessable Content", "the answers are invalid", errors=exc.problems
        ) from None
    except UnknownPositionError as exc:
        raise _unknown_position(exc) from None
    except RulesDateError as exc:
        raise ProblemError(422, "Unprocessable Content", str(exc)) from None


async def evaluate(request: web.Request) -> web.Response:
    outcome, _ = await _evaluate_body(request)
    return reply(r.Outcome, outcome)


async def next_question(request: web.Request) -> web.Response:
    outcome, (engine, position, answers, on) = await _evaluate_body(request)
    question = engine.next_question(position, answers, on)
    return reply(
        r.NextQuestion,
        {
            "question": question.as_json() if question else None,
            "missing_facts": outcome["missing_facts"],
        },
    )
