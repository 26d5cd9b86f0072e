"""Request and response bodies of the HTTP API as pydantic models.

They validate what comes in (``backend.web.bodies.read_model``) and are the single source of the
OpenAPI document (``backend.web.openapi``), so the document cannot drift from the code.
"""
