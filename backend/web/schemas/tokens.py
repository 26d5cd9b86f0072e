"""Bodies of the admin token API."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.web.schemas.common import Line128, Moment, RequestModel, ResponseModel

# "admin", "curator:<user id>" or "org:<organisation id>", ASCII digits only (a "٣" would pass
# str.isdigit and fail int() later).
SCOPE_PATTERN = r"^(admin|curator:[1-9][0-9]{0,9}|org:[1-9][0-9]{0,9})$"


class TokenInput(RequestModel):
    name: Annotated[Line128, Field(min_length=1, max_length=120)]
    scope: Annotated[str, Field(pattern=SCOPE_PATTERN, max_length=80)] = "admin"


class ApiToken(ResponseModel):
    id: int
    name: str
    scope: str
    created_at: Moment | None
    last_used_at: Moment | None
    revoked_at: Moment | None


class CreatedToken(ApiToken):
    token: str = Field(description="the token itself: shown only in this answer")


class TokenList(ResponseModel):
    items: list[ApiToken]
