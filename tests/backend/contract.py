"""Checking a real response against the generated OpenAPI document (jsonschema, 2020-12)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from backend.web.openapi import document
from backend.web.problems import PROBLEM_TYPE


def response_problems(
    method: str, path: str, status: int, content_type: str, body: bytes
) -> list[str]:
    """What in the response the document does not allow; empty when it conforms."""
    doc = document()
    operation = doc["paths"][path][method.lower()]
    documented = operation["responses"].get(str(status))
    if documented is None:
        return [f"{method} {path}: status {status} is not documented"]
    content = documented.get("content")
    if content is None:
        return [] if not body else [f"{method} {path} {status}: a body where none is documented"]
    if content_type not in content:
        return [f"{method} {path} {status}: {content_type} not in {sorted(content)}"]
    if content_type not in ("application/json", PROBLEM_TYPE):
        return []
    schema = {**content[content_type]["schema"], "components": doc["components"]}
    validator = Draft202012Validator(schema)
    instance: Any = json.loads(body)
    return [
        f"{method} {path} {status}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
    ]
