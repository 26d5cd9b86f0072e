"""What an entry of the route table says: path, method, summary, bodies, auth.

``backend.web.routes`` lists every operation once; the app registers its handlers from that list
and ``backend.web.openapi`` generates the document from it and the pydantic models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from backend.web.problems import Handler, ProblemError
from backend.web.schemas.common import INT32_MAX, INT64_MAX

Auth = Literal["public", "admin", "org", "curator", "token"]
# A response: a JSON model, a media type for a file, or None for an empty body.
# A dict maps media types to schemas or models (an answer in JSON or as a file).
Answer = type[BaseModel] | str | dict[str, Any] | None


@dataclass(frozen=True)
class Param:
    name: str
    where: Literal["path", "query"] = "path"
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "integer"})
    description: str = ""
    required: bool | None = None  # default: path parameters are required, query ones not


ROW_ID = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}
TELEGRAM_ID = {"type": "integer", "minimum": 1, "maximum": INT64_MAX}


def row_id(name: str) -> Param:
    return Param(name, schema=ROW_ID)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the OpenAPI document: /api/v1/users/{telegram_id}/courses
    handler: Handler
    summary: str
    responses: dict[int, Answer]
    auth: Auth = "public"
    body: type[BaseModel] | dict[str, Any] | None = None  # a model, or media type → schema
    params: tuple[Param, ...] = ()

    @property
    def route_path(self) -> str:
        """The aiohttp path: integer parameters match digits only."""
        path = self.path
        for param in self.params:
            if param.where == "path" and param.schema.get("type") == "integer":
                path = path.replace("{" + param.name + "}", "{" + param.name + r":\d+}")
        return path


def path_int(request: web.Request, name: str, maximum: int = INT32_MAX) -> int:
    """An integer path parameter; one beyond the column's range names nothing: 404."""
    raw = request.match_info[name]
    if len(raw) > len(str(maximum)) or not 1 <= int(raw) <= maximum:
        raise ProblemError(404, "Not Found", f"no such {name.removesuffix('_id')}")
    return int(raw)
