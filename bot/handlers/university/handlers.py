"""The university self-check: choose a card, rate its items one by one, see the result.

The ratings so far live in the FSM data under KEY ({"c": card, "r": [ratings]}); a button of an
older screen (another item, another card) shows the item actually due instead. Storage and the
result belong to ``backend.university.service``.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from backend.broadcasts import topics
from backend.umo.directory import load_directory
from backend.university import service
from backend.university.cards import SCALE, load_cards
from bot.context import BotContext
from bot.handlers.university.callbacks import UniversityCallback
from bot.handlers.university.screens import (
    cards_screen,
    direction_chosen,
    directions_screen,
    item_screen,
    result_screen,
)
from bot.shared.screen import Screen, show

KEY = "university_check"


async def open_cards(event: Message | CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await state.update_data({KEY: None})
    await show(event, cards_screen(load_cards(), ctx.lang))


async def cmd_university(message: Message, state: FSMContext, ctx: BotContext) -> None:
    await open_cards(message, state, ctx=ctx)


async def cards_pressed(query: CallbackQuery, state: FSMContext, ctx: BotContext) -> None:
    await open_cards(query, state, ctx=ctx)


async def card_chosen(
    query: CallbackQuery, callback_data: UniversityCallback, state: FSMContext, ctx: BotContext
) -> None:
    catalog = load_cards()
    if catalog.card(callback_data.c) is None:
        await open_cards(query, state, ctx=ctx)
        return
    await state.update_data({KEY: {"c": callback_data.c, "r": []}})
    await show(query, item_screen(catalog, callback_data.c, 0, ctx.lang))


async def item_rated(
    query: CallbackQuery, callback_data: UniversityCallback, state: FSMContext, ctx: BotContext
) -> None:
    catalog = load_cards()
    draft = (await state.get_data()).get(KEY)
    if not isinstance(draft, dict) or draft.get("c") != callback_data.c:
        await open_cards(query, state, ctx=ctx)  # a button of a check no longer in progress
        return
    card, ratings = int(draft["c"]), [int(v) for v in draft["r"]]
    if callback_data.i != len(ratings) or callback_data.v not in SCALE:
        await show(query, item_screen(catalog, card, len(ratings), ctx.lang))
        return
    ratings.append(callback_data.v)
    items = catalog.items_of(card)
    if len(ratings) < len(items):
        await state.update_data({KEY: {"c": card, "r": ratings}})
        await show(query, item_screen(catalog, card, len(ratings), ctx.lang))
        return
    await state.update_data({KEY: None})
    await service.save_self_check(
        session=ctx.session,
        user_id=ctx.user.id,
        card=card,
        ratings={item.id: value for item, value in zip(items, ratings, strict=True)},
    )
    found = await service.latest_result(session=ctx.session, user_id=ctx.user.id, card=card)
    assert found is not None
    await show(query, result_screen(catalog, found[1], ctx.lang))


async def directions_pressed(query: CallbackQuery, ctx: BotContext) -> None:
    chosen = await topics.chosen_umo_direction(ctx.session, ctx.user.id)
    await show(query, directions_screen(load_directory(), chosen))


async def direction_picked(
    query: CallbackQuery,
    callback_data: UniversityCallback,
    callback_answer: CallbackAnswer,
    ctx: BotContext,
) -> None:
    directory = load_directory()
    if not 0 <= callback_data.i < len(directory.directions):
        await show(query, directions_screen(directory, None))
        return
    code = directory.directions[callback_data.i]
    await topics.choose_umo_topic(ctx.session, ctx.user.id, code)
    callback_answer.text = _("Saved.")
    await show(
        query,
        Screen(direction_chosen(directory, code), cards_screen(load_cards(), ctx.lang).markup),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_university, Command("university"))
    router.callback_query.register(cards_pressed, UniversityCallback.filter(F.a == "cards"))
    router.callback_query.register(card_chosen, UniversityCallback.filter(F.a == "card"))
    router.callback_query.register(item_rated, UniversityCallback.filter(F.a == "rate"))
    router.callback_query.register(directions_pressed, UniversityCallback.filter(F.a == "dirs"))
    router.callback_query.register(direction_picked, UniversityCallback.filter(F.a == "dir"))
    return router
