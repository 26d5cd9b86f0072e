"""Rules over HTTP: positions (kk/ru search), one position, evaluation, the next question, and
the ruleset versions with their changelogs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from backend.rules.answers import AnswersError, parse_answers
from backend.rules.changes import changes_json
from backend.rules.clauses import packaged_clauses
from backend.rules.cli import position_summary
from backend.rules.engine import RulesDateError, UnknownPositionError, engine_for
from backend.rules.search import position_sort_key, search_positions
from backend.web.keys import ruleset_key
from backend.web.problems import ProblemError, json_response, read_json

routes = web.RouteTableDef()
MAX_LIMIT = 100


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ProblemError(
            400, "Bad Request", f"limit must be a whole number from 1 to {MAX_LIMIT}"
        )
    return int(raw)


@routes.get("/api/v1/positions")
async def list_positions(request: web.Request) -> web.Response:
    ruleset = request.app[ruleset_key]
    query = request.query.get("q", "").strip()
    org_kind = request.query.get("org_kind")
    limit = _limit(request)
    if query:
        ids = [pid for pid, _ in search_positions(ruleset, query, limit=MAX_LIMIT)]
    else:
        ids = sorted(ruleset.positions, key=position_sort_key)
    if org_kind:
        ids = [pid for pid in ids if ruleset.positions[pid].org_kind == org_kind]
    items = [position_summary(ruleset, pid) for pid in ids[:limit]]
    return json_response({"items": items, "count": len(items), "ruleset_version": ruleset.version})


def _unknown_position(exc: UnknownPositionError) -> ProblemError:
    return ProblemError(404, "Not Found", str(exc), suggestions=exc.suggestions)


@routes.get("/api/v1/positions/{position_id}")
async def get_position(request: web.Request) -> web.Response:
    ruleset = request.app[ruleset_key]
    try:
        compiled = engine_for(ruleset).position(request.match_info["position_id"])
    except UnknownPositionError as exc:
        raise _unknown_position(exc) from None
    body = compiled.position.model_dump(mode="json", exclude_none=True)
    body["verbatim"] = packaged_clauses().get(compiled.position.id, {})
    body["ruleset_version"] = ruleset.version
    return json_response(body)


def _request_fields(body: Any) -> tuple[str, Any, dt.date]:
    if not isinstance(body, dict):
        raise ProblemError(422, "Unprocessable Content", "the body must be a JSON object")
    position = body.get("position")
    if not isinstance(position, str) or not position:
        raise ProblemError(422, "Unprocessable Content", "'position' (a position id) is required")
    on_raw = body.get("on")
    try:
        on = dt.date.fromisoformat(on_raw) if on_raw else dt.date.today()
    except (TypeError, ValueError):
        raise ProblemError(
            422, "Unprocessable Content", f"'on' is not a date (YYYY-MM-DD): {on_raw!r}"
        ) from None
    return position, body.get("answers"), on


async def _evaluate_body(request: web.Request) -> tuple[dict[str, Any], Any]:
    position, raw_answers, on = _request_fields(await read_json(request))
    engine = engine_for(request.app[ruleset_key])
    try:
        answers = parse_answers(raw_answers)
        return engine.evaluate(position, answers, on).to_dict(), (engine, position, answers, on)
    except AnswersError as exc:
        raise ProblemError(
            422, "Unprocessable Content", "the answers are invalid", errors=exc.problems
        ) from None
    except UnknownPositionError as exc:
        raise _unknown_position(exc) from None
    except RulesDateError as exc:
        raise ProblemError(422, "Unprocessable Content", str(exc)) from None


@routes.get("/api/v1/rules/changes")
async def rule_changes(request: web.Request) -> web.Response:
    """Every packaged ruleset version, newest first, with what it changed and why (clause)."""
    return json_response(changes_json())


@routes.post("/api/v1/assessments/evaluate")
async def evaluate(request: web.Request) -> web.Response:
    outcome, _ = await _evaluate_body(request)
    return json_response(outcome)


@routes.post("/api/v1/assessments/next-question")
async def next_question(request: web.Request) -> web.Response:
    outcome, (engine, position, answers, on) = await _evaluate_body(request)
    question = engine.next_question(position, answers, on)
    return json_response(
        {
            "question": question.as_json() if question else None,
            "missing_facts": outcome["missing_facts"],
        }
    )
