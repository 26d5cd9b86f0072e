"""The OpenAPI 3.1 document, generated from the route table and the pydantic models.

Served at /api/v1/openapi.json. Schemas come from ``model_json_schema`` (JSON Schema 2020-12,
which OpenAPI 3.1 uses as is); every model lands in ``components.schemas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Literal, TypeGuard

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from backend import __version__
from backend.web.operations import Operation
from backend.web.problems import PROBLEM_TYPE, json_response
from backend.web.schemas.common import Problem

REF = "#/components/schemas/{model}"
AUTH_NOTES = {
    "admin": ' Needs an "admin" token.',
    "org": ' Needs an "admin" token or the organisation\'s "org:<id>" token.',
    "curator": ' Needs an "admin" token or a "curator:<user id>" token.',
    "token": " Needs a bearer API token (sanat admin token create).",
    "public": "",
}
ERROR_DESCRIPTIONS = {
    400: "the body or a parameter is malformed",
    401: "missing or bad token",
    403: "the token's scope does not allow this",
    404: "not found",
    405: "method not allowed",
    408: "the body did not arrive in time",
    409: "the current state does not allow this",
    413: "the body is too large",
    415: "unsupported media type or charset",
    422: "invalid input",
    503: "the database is unreachable",
}


Mode = Literal["validation", "serialization"]
Refs = Mapping[tuple[Any, Mode], Any]


def _is_model(item: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(item, type) and issubclass(item, BaseModel)


def _models(operations: list[Operation]) -> list[tuple[type[BaseModel], Mode]]:
    """Request bodies as validated, responses as serialised; each pair once."""
    found: dict[tuple[type[BaseModel], Mode], None] = {(Problem, "serialization"): None}
    for operation in operations:
        if _is_model(operation.body):
            found[(operation.body, "validation")] = None
        for answer in operation.responses.values():
            for item in answer.values() if isinstance(answer, dict) else (answer,):
                if _is_model(item):
                    found[(item, "serialization")] = None
    return list(found)


def _content(answer: Any, refs: Refs, mode: Mode) -> dict[str, Any]:
    if _is_model(answer):
        return {"application/json": {"schema": refs[(answer, mode)]}}
    if isinstance(answer, dict):  # media type → schema (or model), e.g. JSON or files
        return {
            media: {"schema": refs[(schema, mode)] if _is_model(schema) else schema}
            for media, schema in answer.items()
        }
    return {str(answer): {"schema": {"type": "string"}}}


def _operation(operation: Operation, refs: Refs) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": operation.summary + AUTH_NOTES[operation.auth],
        "operationId": operation.handler.__name__,
    }
    query = [param for param in operation.params if param.where == "query"]
    if query:
        out["parameters"] = [
            {
                "name": param.name,
                "in": param.where,
                "required": bool(param.required),
                "schema": param.schema,
                **({"description": param.description} if param.description else {}),
            }
            for param in query
        ]
    if operation.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": _content(operation.body, refs, "validation"),
        }
    responses: dict[str, Any] = {}
    for status, answer in operation.responses.items():
        if status >= 400:
            responses[str(status)] = {
                "description": ERROR_DESCRIPTIONS.get(status, "problem"),
                "content": {PROBLEM_TYPE: {"schema": refs[(Problem, "serialization")]}},
            }
        elif answer is None:
            responses[str(status)] = {"description": "no content"}
        else:
            responses[str(status)] = {
                "description": "ok",
                "content": _content(answer, refs, "serialization"),
            }
    if operation.auth != "public":
        out["security"] = [{"bearerAuth": []}]
    out["responses"] = responses
    return out


def build_document(operations: list[Operation]) -> dict[str, Any]:
    refs, definitions = models_json_schema(_models(operations), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = paths.setdefault(operation.path, {})
        path_params = [param for param in operation.params if param.where == "path"]
        if path_params:  # shared by every operation on the path
            item["parameters"] = [
                {"name": param.name, "in": "path", "required": True, "schema": param.schema}
                for param in path_params
            ]
        item[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Sanat API",
            "version": __version__,
            "description": "Rules of Order No. 338 as data and an engine that explains itself. "
            "Every outcome is an estimate, not an attestation decision. Errors are RFC 9457 "
            "problem+json.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from `sanat admin token create` (snt_...).",
                }
            },
        },
    }


@cache
def document() -> dict[str, Any]:
    from backend.web.routes import OPERATIONS

    return build_document(OPERATIONS)


async def openapi(_request: web.Request) -> web.Response:
    return json_response(document())
