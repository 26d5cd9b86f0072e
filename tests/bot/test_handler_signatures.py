"""Every handler declares by name what it uses, and only names the dispatcher provides.

aiogram passes a handler just the keyword arguments its signature names; a misspelt name would
fail only when that button is pressed, so the whole router tree is checked here at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.handler import HandlerObject

# What the dispatcher, its workflow data (bot.context.BotData), the middlewares and the
# filters put into a handler's data; the first parameter is always the event itself.
PROVIDED = {
    "bot",
    "state",
    "raw_state",
    "event_from_user",
    "event_chat",
    "session",
    "session_pool",
    "user",
    "ctx",
    "settings",
    "ruleset",
    "i18n",
    "callback_answer",
    "callback_data",
    "command",
}


def _handlers(router: Router) -> Iterator[tuple[str, HandlerObject]]:
    """The handlers of the feature routers (the dispatcher's own update handler is aiogram's)."""
    if not isinstance(router, Dispatcher):
        yield from _own_handlers(router)
    for child in router.sub_routers:
        yield from _handlers(child)


def _own_handlers(router: Router) -> Iterator[tuple[str, HandlerObject]]:
    for name, observer in router.observers.items():
        for handler in observer.handlers:
            yield name, handler


def test_no_handler_takes_arbitrary_keywords(dispatcher: Dispatcher) -> None:
    handlers = list(_handlers(dispatcher))
    assert len(handlers) > 80  # the whole tree, not an empty router
    loose = [
        f"{handler.callback.__module__}.{handler.callback.__qualname__}"
        for _event, handler in handlers
        if any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(handler.callback).parameters.values()
        )
    ]
    assert loose == []


def test_handlers_name_only_what_is_provided(dispatcher: Dispatcher) -> None:
    unknown = {}
    for _event, handler in _handlers(dispatcher):
        names = list(inspect.signature(handler.callback).parameters)[1:]  # after the event
        extra = sorted(set(names) - PROVIDED)
        if extra:
            unknown[f"{handler.callback.__module__}.{handler.callback.__qualname__}"] = extra
    assert unknown == {}
