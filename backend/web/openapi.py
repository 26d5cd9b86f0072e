"""The OpenAPI 3.1 document of the HTTP API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from backend import __version__
from backend.web.problems import json_response

routes = web.RouteTableDef()

PROBLEM = {
    "description": "problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
EVALUATE_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EvaluateRequest"}}},
}


def _json(schema_ref: str, description: str = "ok") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": schema_ref}}},
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


@routes.get("/api/v1/openapi.json")
async def openapi(_request: web.Request) -> web.Response:
    return json_response(DOCUMENT)
