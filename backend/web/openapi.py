"""The OpenAPI 3.1 document of the HTTP API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend import __version__
from backend.web import broadcasts_openapi, staff_openapi, tokens_api
from backend.web.auth import requires_token
from backend.web.problems import json_response

routes = web.RouteTableDef()

PROBLEM = {
    "description": "problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _json_body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


EVALUATE_BODY = _json_body("EvaluateRequest")


def _json(schema_ref: str, description: str = "ok") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
    }


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


COURSE_BODY = _json_body("CourseInput")
COURSES_NOTE = " Needs a bearer API token (sanat admin token create)."
COURSE_PATHS: dict[str, Any] = {
    "/api/v1/users/{telegram_id}/courses": {
        "parameters": [_path_param("telegram_id")],
        "get": {
            "summary": "A teacher's refresher courses, newest first." + COURSES_NOTE,
            "responses": {"200": _json("#/components/schemas/CourseList"), "404": PROBLEM},
        },
        "post": {
            "summary": "Add a course (dates DD.MM.YYYY, D.M.YYYY or YYYY-MM-DD; not in the "
            "future in Asia/Almaty, not before 1991)." + COURSES_NOTE,
            "requestBody": COURSE_BODY,
            "responses": {
                "201": _json("#/components/schemas/Course", "created"),
                "400": PROBLEM,
                "404": PROBLEM,
                "422": PROBLEM,
            },
        },
    },
    "/api/v1/users/{telegram_id}/courses/{course_id}": {
        "parameters": [_path_param("telegram_id"), _path_param("course_id")],
        "patch": {
            "summary": "Change some fields of a course; a new date recomputes the reminders."
            + COURSES_NOTE,
            "requestBody": COURSE_BODY,
            "responses": {
                "200": _json("#/components/schemas/Course"),
                "400": PROBLEM,
                "404": PROBLEM,
                "422": PROBLEM,
            },
        },
        "delete": {
            "summary": "Delete a course." + COURSES_NOTE,
            "responses": {"204": {"description": "deleted"}, "404": PROBLEM},
        },
    },
    "/api/v1/users/{telegram_id}/courses/due": {
        "parameters": [_path_param("telegram_id")],
        "get": {
            "summary": "The next due date (period and citation from the rules data), days "
            "left and the reminder ladder with send times (UTC)." + COURSES_NOTE,
            "responses": {"200": _json("#/components/schemas/CourseDue"), "404": PROBLEM},
        },
    },
    "/api/v1/users/{telegram_id}/courses/calendar.ics": {
        "parameters": [
            _path_param("telegram_id"),
            {"name": "lang", "in": "query", "schema": {"enum": ["kk", "ru"]}},
        ],
        "get": {
            "summary": "An RFC 5545 calendar: the due date with the reminders as alarms, and "
            "the coming national qualification testing windows." + COURSES_NOTE,
            "responses": {
                "200": {"description": "calendar", "content": {"text/calendar": {}}},
                "404": PROBLEM,
            },
        },
    },
    "/api/v1/users/{telegram_id}/courses/timeline.png": {
        "parameters": [
            _path_param("telegram_id"),
            {
                "name": "lang",
                "in": "query",
                "schema": {"enum": ["kk", "ru", "en"], "default": "ru"},
                "description": "the language of the picture's words",
            },
        ],
        "get": {
            "summary": "A PNG timeline, 960 px wide: the years, each course (date and title), "
            "the three-year cycle as a band (green while valid, orange in its last 90 days, red "
            "once overdue), today, the due date and the next national testing window, labelled "
            "in the chosen language." + COURSES_NOTE,
            "responses": {
                "200": {
                    "description": "timeline picture",
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                "404": PROBLEM,
            },
        },
    },
}
COURSE_SCHEMAS: dict[str, Any] = {
    "CourseInput": {
        "type": "object",
        "properties": {
            "completed_on": {"type": "string", "examples": ["15.03.2025", "2025-03-15"]},
            "title": {"type": "string", "minLength": 1, "maxLength": 512},
            "provider": {"enum": ["orleu", "talap", "other"]},
            "hours": {"type": ["integer", "null"], "minimum": 1, "maximum": 2000},
            "certificate_number": {"type": ["string", "null"], "maxLength": 64},
            "certificate_file_id": {"type": ["string", "null"], "maxLength": 256},
            "certificate_sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
        },
    },
    "Course": {
        "allOf": [
            {"$ref": "#/components/schemas/CourseInput"},
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "completed_on_display": {"type": "string", "examples": ["15.03.2025"]},
                },
            },
        ]
    },
    "CourseList": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Course"}},
            "count": {"type": "integer"},
        },
    },
    "CourseDue": {
        "type": "object",
        "properties": {
            "due_on": {"type": ["string", "null"], "format": "date"},
            "due_on_display": {"type": "string"},
            "days_left": {"type": "integer"},
            "overdue": {"type": "boolean"},
            "current_milestone": {"type": ["string", "null"], "examples": ["d30", "o60"]},
            "milestones": {"type": "array", "items": {"type": "object"}},
            "period_years": {"type": "integer"},
            "citation": {"type": "object"},
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Sanat API",
        "version": __version__,
        "description": "Rules of Order No. 338 as data and an engine that explains itself. "
        "Every outcome is an estimate, not an attestation decision.",
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Health: version, database, ruleset",
                "responses": {
                    "200": {"description": "ok"},
                    "503": {"description": "database down"},
                },
            }
        },
        "/api/v1/positions": {
            "get": {
                "summary": "List or search positions (kk or ru; typos and Kazakh letters "
                "typed on a Russian keyboard are tolerated)",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "org_kind", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                ],
                "responses": {"200": _json("#/components/schemas/PositionList"), "400": PROBLEM},
            }
        },
        "/api/v1/rules/changes": {
            "get": {
                "summary": "Ruleset versions, newest first, each with its changes to the previous "
                "one: positions, clause citation, what changed and why (kk/ru)",
                "responses": {"200": {"description": "the versions and their changes"}},
            }
        },
        "/api/v1/positions/{position_id}": {
            "get": {
                "summary": "A position: routes, ladder, competencies, citations, verbatim clauses",
                "parameters": [
                    {
                        "name": "position_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {"200": {"description": "the position"}, "404": PROBLEM},
            }
        },
        "/api/v1/assessments/evaluate": {
            "post": {
                "summary": "Evaluate answers for a position",
                "requestBody": EVALUATE_BODY,
                "responses": {
                    "200": _json("#/components/schemas/Outcome"),
                    "400": PROBLEM,
                    "404": PROBLEM,
                    "422": PROBLEM,
                },
            }
        },
        "/api/v1/assessments/next-question": {
            "post": {
                "summary": "The next fact still needed for the position (null when none)",
                "requestBody": EVALUATE_BODY,
                "responses": {
                    "200": {"description": "question"},
                    "400": PROBLEM,
                    "404": PROBLEM,
                    "422": PROBLEM,
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["type", "status", "title"],
                "properties": {
                    "type": {"type": "string"},
                    "status": {"type": "integer"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "string"}},
                    "suggestions": {"type": "array", "items": {"type": "string"}},
                    "invalid": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "code": {"type": "string", "examples": ["date_future"]},
                            },
                        },
                    },
                },
            },
            "PositionList": {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": {"type": "object"}},
                    "count": {"type": "integer"},
                    "ruleset_version": {"type": "string"},
                },
            },
            "EvaluateRequest": {
                "type": "object",
                "required": ["position"],
                "properties": {
                    "position": {"type": "string", "examples": ["3.7"]},
                    "on": {"type": "string", "format": "date"},
                    "answers": {"$ref": "#/components/schemas/Answers"},
                },
            },
            "Answers": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "education": {
                        "enum": ["postgraduate", "higher", "tvet", "general_secondary", "unknown"]
                    },
                    "education_pedagogical": {"type": ["boolean", "string"]},
                    "pedagogical_retraining": {"type": ["boolean", "string"]},
                    "qualification_level": {"enum": ["high", "medium", "unknown"]},
                    "experience": {
                        "type": "object",
                        "additionalProperties": {
                            "type": ["number", "string"],
                            "minimum": 0,
                            "maximum": 60,
                        },
                    },
                    "locality": {"enum": ["urban", "rural", "unknown"]},
                    "centre_level": {"enum": ["regional", "district", "unknown"]},
                    "academic_degree": {"type": ["boolean", "string"]},
                    "current_category": {"type": "string"},
                    "variant": {"type": "string"},
                    "competencies": {
                        "type": "object",
                        "additionalProperties": {
                            "oneOf": [
                                {"enum": ["all", "none", "unknown"]},
                                {"type": "array", "items": {"type": "string"}},
                            ]
                        },
                    },
                },
            },
            "Outcome": {
                "type": "object",
                "required": [
                    "position",
                    "as_of",
                    "ruleset_version",
                    "eligible_for_position",
                    "categories",
                    "missing_facts",
                    "disclaimer",
                ],
                "properties": {
                    "position": {"type": "string"},
                    "as_of": {"type": "string", "format": "date"},
                    "ruleset_version": {"type": "string"},
                    "eligible_for_position": {"enum": ["yes", "no", "unknown"]},
                    "position_reasons": {"type": "array", "items": {"type": "object"}},
                    "ceiling_by_experience": {"type": ["string", "null"]},
                    "estimate": {"type": ["string", "null"]},
                    "categories": {"type": "array", "items": {"type": "object"}},
                    "next": {"type": ["object", "null"]},
                    "missing_facts": {"type": "array", "items": {"type": "string"}},
                    "assumptions": {"type": "array", "items": {"type": "object"}},
                    "disclaimer": {"type": "object"},
                },
            },
        }
    },
}


DOCUMENT["paths"].update(COURSE_PATHS)
DOCUMENT["components"]["schemas"].update(COURSE_SCHEMAS)
for _module in (staff_openapi, broadcasts_openapi, tokens_api):
    DOCUMENT["paths"].update(_module.OPENAPI_PATHS)
    DOCUMENT["components"]["schemas"].update(_module.OPENAPI_SCHEMAS)
DOCUMENT["components"]["securitySchemes"] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `sanat admin token create` (snt_...).",
    }
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _secure_user_paths(paths: dict[str, Any]) -> None:
    """Every protected operation needs the bearer token: 401 without, 403 if out of scope."""
    for path, item in paths.items():
        if not requires_token(path):
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS:
                operation["security"] = [{"bearerAuth": []}]
                operation["responses"].setdefault("401", PROBLEM)
                operation["responses"].setdefault("403", PROBLEM)


_secure_user_paths(DOCUMENT["paths"])


@routes.get("/api/v1/openapi.json")
async def openapi(_request: web.Request) -> web.Response:
    return json_response(DOCUMENT)
