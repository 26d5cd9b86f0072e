"""Bodies of the rules API: positions, evaluation, the next question."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from backend.rules.answers import (
    BOOL_KEYS,
    CATEGORIES,
    CENTRE_LEVELS,
    EDUCATIONS,
    EXPERIENCE_KINDS,
    LEVELS,
    LOCALITIES,
    MAX_YEARS,
    NO_CATEGORY,
    UNKNOWN,
)
from backend.web.schemas.common import Line16, RequestModel, ResponseModel

MAX_POSITION_ID = 16  # "3.14b"; the unknown-id suggestion search never sees more
MAX_QUERY = 100  # characters of a position search

_KNOWN = {"const": UNKNOWN}
_COMPETENCY = {"type": "string", "maxLength": 32}
_BOOL = {"anyOf": [{"type": "boolean"}, _KNOWN]}
ANSWERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'Facts known so far; "unknown" is the user\'s "I don\'t know".',
    "additionalProperties": False,
    "properties": {
        "education": {"enum": [*list(EDUCATIONS), UNKNOWN]},
        **dict.fromkeys(BOOL_KEYS, _BOOL),
        "qualification_level": {"enum": [*list(LEVELS), UNKNOWN]},
        "experience": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                kind: {"anyOf": [{"type": "number", "minimum": 0, "maximum": MAX_YEARS}, _KNOWN]}
                for kind in EXPERIENCE_KINDS
            },
        },
        "locality": {"enum": [*list(LOCALITIES), UNKNOWN]},
        "centre_level": {"enum": [*list(CENTRE_LEVELS), UNKNOWN]},
        "current_category": {"enum": [*CATEGORIES, NO_CATEGORY, UNKNOWN]},
        "variant": {"type": "string", "maxLength": 32},
        "competencies": {
            "type": "object",
            "maxProperties": 64,
            "additionalProperties": {
                "anyOf": [
                    {"enum": ["all", "none", UNKNOWN]},
                    {
                        "type": "array",
                        "maxItems": 64,
                        "items": {"type": "string", "maxLength": 32},
                    },
                ]
            },
        },
    },
}
# The answers are checked by ``backend.rules.answers.parse_answers`` (named errors per key);
# the model only documents them.
AnswersBody = Annotated[dict[str, Any], WithJsonSchema(ANSWERS_SCHEMA)]


class EvaluateRequest(RequestModel):
    position: Annotated[Line16, Field(min_length=1, examples=["3.7"])]
    on: dt.date | None = Field(None, description="the day to evaluate on (default: today)")
    answers: AnswersBody | None = None


class PositionSummary(ResponseModel):
    id: str
    name_kk: str
    name_ru: str
    chapter: int
    paragraph: str
    clause: str
    org_kind: str | None = None
    staff_kind: str | None = None
    has_ladder: bool


class PositionList(ResponseModel):
    items: list[PositionSummary]
    count: int
    ruleset_version: str


class Position(ResponseModel):
    """A position of the rules data as it is stored (routes, ladder, citations) plus its
    verbatim clauses."""

    id: str
    verbatim: dict[str, Any]
    ruleset_version: str


class Outcome(ResponseModel):
    position: str
    as_of: dt.date
    ruleset_version: str
    eligible_for_position: str
    position_reasons: list[dict[str, Any]] = Field(default_factory=list)
    ceiling_by_experience: str | None = None
    estimate: str | None = None
    categories: list[dict[str, Any]]
    next: dict[str, Any] | None = None
    missing_facts: list[str]
    assumptions: list[dict[str, Any]] = Field(default_factory=list)
    disclaimer: dict[str, Any]


class NextQuestion(ResponseModel):
    question: dict[str, Any] | None
    missing_facts: list[str]
