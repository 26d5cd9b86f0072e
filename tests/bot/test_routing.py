"""Callback queries skip the routers that cannot take them, and still reach the one that can."""

from __future__ import annotations

from typing import Any

from aiogram import Dispatcher, F, Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

from bot.handlers import create_routers
from bot.routing import CallbackPrefix, callback_prefixes, route_callbacks_by_prefix
from testing.mocked_bot import MockedBot
from testing.updates import callback_update


class PickCallback(CallbackData, prefix="pick"):
    id: int


class PageCallback(CallbackData, prefix="page"):
    n: int


class CountingFilter(Filter):
    """A handler filter that counts how often it is asked (and passes)."""

    def __init__(self) -> None:
        self.asked = 0

    async def __call__(self, _query: CallbackQuery) -> bool:
        self.asked += 1
        return True


def toy_dispatcher(counting: CountingFilter, handled: list[str]) -> Dispatcher:
    pages = Router(name="pages")

    @pages.callback_query(counting, PageCallback.filter())  # counting first: asked every time
    async def page(query: CallbackQuery, callback_data: PageCallback) -> None:
        handled.append(f"page {callback_data.n}")

    picks = Router(name="picks")
    nested = Router(name="picks.nested")

    @nested.callback_query(PickCallback.filter())
    async def pick(query: CallbackQuery, callback_data: PickCallback) -> None:
        handled.append(f"pick {callback_data.id}")

    picks.include_router(nested)
    anything = Router(name="anything")

    @anything.callback_query(F.data == "help")
    async def help_button(query: CallbackQuery) -> None:
        handled.append("help")

    @anything.callback_query()
    async def fallback(query: CallbackQuery) -> None:
        handled.append(f"fallback {query.data}")

    dispatcher = Dispatcher()
    dispatcher.include_routers(pages, picks, anything)
    route_callbacks_by_prefix(dispatcher)
    return dispatcher


def root_filters(router: Router) -> list[Any]:
    return [f.callback for f in router.callback_query._handler.filters or ()]


def test_prefixes_are_those_of_the_routers_callback_data_filters() -> None:
    dispatcher = toy_dispatcher(CountingFilter(), [])
    pages, picks, anything = dispatcher.sub_routers
    assert callback_prefixes(pages) == frozenset({"page"})
    assert callback_prefixes(picks) == frozenset({"pick"})  # from its sub-router
    assert callback_prefixes(anything) is None  # takes data of any shape
    assert callback_prefixes(dispatcher) is None
    assert [str(f) for f in root_filters(picks)] == ["CallbackPrefix(['pick'])"]
    assert root_filters(anything) == []
    assert root_filters(dispatcher) == []


async def test_a_press_reaches_its_handler_and_skips_the_other_routers() -> None:
    counting, handled = CountingFilter(), list[str]()
    dispatcher, bot = toy_dispatcher(counting, handled), MockedBot()
    for data in ("pick:7", "page:2", "help", "pickle:1", "pick", "pag:1"):
        await dispatcher.feed_update(bot, callback_update(data))
    fallen = ["fallback pickle:1", "fallback pick", "fallback pag:1"]
    assert handled == ["pick 7", "page 2", "help", *fallen]
    # The pages router's handler filters ran for its own press only, not for the five others.
    assert counting.asked == 1


async def test_a_malformed_press_with_the_right_prefix_still_falls_through() -> None:
    handled: list[str] = []
    dispatcher = toy_dispatcher(CountingFilter(), handled)
    await dispatcher.feed_update(MockedBot(), callback_update("page:not-a-number"))
    assert handled == ["fallback page:not-a-number"]


def test_every_sanat_router_but_the_fallback_is_skipped_for_other_prefixes() -> None:
    routers = create_routers()
    dispatcher = Dispatcher()
    dispatcher.include_routers(*routers)
    route_callbacks_by_prefix(dispatcher)
    filtered = {
        router.name: next(f for f in root_filters(router) if isinstance(f, CallbackPrefix))
        for router in routers
        if any(isinstance(f, CallbackPrefix) for f in root_filters(router))
    }
    assert [router.name for router in routers if router.name not in filtered] == [
        "bot.handlers.fallback"
    ]
    assert {"a", "c", "n"} <= filtered["bot.handlers.assessment"].prefixes
    owners = [name for name, f in filtered.items() if "lang" in f.prefixes]
    assert owners == ["bot.handlers.start"]
