"""University teaching staff over HTTP (Order 616): the amended items of cards 3-5 and
self-checks against them.

``GET /api/v1/university/cards`` is public (the text of a published order);
``/api/v1/university/self-checks`` holds people's answers and needs an admin token.
Bodies are pydantic models.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.courses import service as courses
from backend.university import service
from backend.university.cards import CardCatalog, Item, load_cards
from backend.web.bodies import read_model
from backend.web.keys import session_pool_key
from backend.web.problems import ProblemError, json_response

BASE = "/api/v1/university"
NOT_IN_SOURCE = (
    "Order 616 amends only cards 3-5: cards 1-2, NQF levels and qualification requirements are "
    "not in the source. University teaching staff are not placed on the teacher-category ladder "
    "of Order 338; a self-check is a self-reflection, not a category decision."
)


class ItemOut(BaseModel):
    id: str
    kind: str
    labour_function: int
    skill: int
    kk: str
    ru: str = Field(description="a working translation, not an official text")
    citation: str
    note: str | None


class CardOut(BaseModel):
    card: int
    kk: str
    ru: str
    en: str
    lines: tuple[int, int]
    note: str | None
    items: list[ItemOut]


class CardsOut(BaseModel):
    act: str
    scale: list[str]
    not_in_source: str
    cards: list[CardOut]


class SelfCheckInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    telegram_id: Annotated[int, Field(ge=1, le=2**53)]
    card: Annotated[int, Field(ge=1, le=9)]
    ratings: dict[Annotated[str, Field(max_length=32)], int] = Field(max_length=100)


class ChangeOut(BaseModel):
    item: str
    before: int
    after: int


class SelfCheckOut(BaseModel):
    id: int
    card: int
    created_at: dt.datetime
    score: int
    top: int
    strengths: list[str]
    to_develop: list[ItemOut]
    previous_score: int | None
    improved: list[ChangeOut]
    declined: list[ChangeOut]
    not_in_source: str


class SelfCheckList(BaseModel):
    items: list[SelfCheckOut]


def _item(catalog: CardCatalog, item: Item) -> ItemOut:
    return ItemOut(
        id=item.id,
        kind=item.kind,
        labour_function=item.function,
        skill=item.skill,
        kk=item.kk,
        ru=item.ru,
        citation=catalog.citation(item),
        note=item.note,
    )


async def cards(request: web.Request) -> web.Response:
    catalog = load_cards()
    body = CardsOut(
        act=catalog.act.short,
        scale=["not yet", "partly", "confident", "can teach others"],
        not_in_source=NOT_IN_SOURCE,
        cards=[
            CardOut(
                card=card.card,
                kk=card.kk,
                ru=card.ru,
                en=card.en,
                lines=card.lines,
                note=card.note,
                items=[_item(catalog, item) for item in catalog.items_of(card.card)],
            )
            for card in catalog.cards
        ],
    )
    return json_response(body.model_dump(mode="json"))


def _change(change: service.Change) -> ChangeOut:
    return ChangeOut(item=change.item.id, before=change.before, after=change.after)


def _check_out(
    catalog: CardCatalog, record_id: int, card: int, created: dt.datetime, result: object
) -> SelfCheckOut:
    assert isinstance(result, service.SelfCheckResult)
    return SelfCheckOut(
        id=record_id,
        card=card,
        created_at=created,
        score=result.score,
        top=result.top,
        strengths=[item.id for item in result.strengths],
        to_develop=[_item(catalog, item) for item in result.to_develop],
        previous_score=result.previous_score,
        improved=[
            ChangeOut(item=c.item.id, before=c.before, after=c.after) for c in result.improved
        ],
        declined=[
            ChangeOut(item=c.item.id, before=c.before, after=c.after) for c in result.declined
        ],
        not_in_source=NOT_IN_SOURCE,
    )


async def _user_id(session: AsyncSession, telegram_id: int) -> int:
    found = await courses.find_user_id(session=session, telegram_id=telegram_id)
    if found is None:
        raise ProblemError(404, "Not Found", f"no user with telegram id {telegram_id}")
    return found


async def add_self_check(request: web.Request) -> web.Response:
    given = await read_model(request, SelfCheckInput)
    catalog = load_cards()
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, given.telegram_id)
        try:
            record = await service.save_self_check(
                session=session, user_id=user_id, card=given.card, ratings=given.ratings
            )
        except service.SelfCheckInputError as exc:
            raise ProblemError(
                422, "Unprocessable Content", f"invalid self-check: {exc.code}", code=exc.code
            ) from None
        found = await service.latest_result(session=session, user_id=user_id, card=given.card)
    assert found is not None
    assert record.id is not None
    out = _check_out(catalog, record.id, record.card, record.created_at, found[1])
    return json_response(out.model_dump(mode="json"), status=201)


async def list_self_checks(request: web.Request) -> web.Response:
    raw = request.query.get("telegram_id", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
        raise ProblemError(422, "Unprocessable Content", "telegram_id (digits) is required")
    catalog = load_cards()
    async with request.app[session_pool_key]() as session:
        user_id = await _user_id(session, int(raw))
        checks = await service.list_self_checks(session=session, user_id=user_id)
    items = []
    previous: dict[int, dict[str, int]] = {}
    for check in checks:
        assert check.id is not None
        result = service.result_of(check.card, check.ratings, previous.get(check.card))
        items.append(_check_out(catalog, check.id, check.card, check.created_at, result))
        previous[check.card] = check.ratings
    return json_response(SelfCheckList(items=items).model_dump(mode="json"))
