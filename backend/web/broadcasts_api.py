"""(being written) HTTP endpoints; see the module's owner."""

from __future__ import annotations

from typing import Any

from aiohttp import web

routes = web.RouteTableDef()
OPENAPI_PATHS: dict[str, Any] = {}
OPENAPI_SCHEMAS: dict[str, Any] = {}
