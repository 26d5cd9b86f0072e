"""The pure parts: limiters on a fake clock, rendering, backoff."""

from __future__ import annotations

import asyncio

import pytest

from backend.delivery import Backoff, DefaultRenderer, RenderError
from backend.delivery.limits import ChatLimits, SlidingWindow
from backend.models import Notification


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_chat_limits_space_private_chats_and_cap_groups_per_minute() -> None:
    clock = FakeClock()
    limits = ChatLimits(interval=1.0, group_per_minute=3, clock=clock)
    limits.record(42)
    assert limits.ready_at(42) == 101.0
    assert limits.ready_at(43) < clock.now  # another chat is free
    for _ in range(3):
        limits.record(-100)
        clock.now += 1.0
    # Three in the minute: the fourth waits until the first of them is a minute old.
    assert limits.ready_at(-100) == 100.0 + 60.0
    clock.now = 200.0
    limits.prune()
    assert limits.ready_at(-100) < clock.now


async def test_sliding_window_counts_a_send_until_a_period_after_its_answer() -> None:
    window = SlidingWindow(capacity=2, period=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await window.acquire()
    await window.acquire()
    second = asyncio.create_task(window.acquire())
    await asyncio.sleep(0.05)
    assert not second.done()  # both places are in flight
    window.release()
    await second
    assert loop.time() - started >= 0.2  # the freed place counts for a period after its answer
    window.release(sent=False)  # an unused place frees at once
    await asyncio.wait_for(window.acquire(), timeout=0.05)


def test_rate_below_one_per_second_spaces_single_sends() -> None:
    window = SlidingWindow.per_second(0.5)
    assert (window.capacity, window.period) == (1, 2.0)


def notification(payload: dict[str, object]) -> Notification:
    return Notification(id=1, chat_id=1, kind="test", dedupe_key="k", payload=payload)


def test_renderer_templates_fallback_and_limits() -> None:
    renderer = DefaultRenderer(
        templates={"due": {"kk": "{days} күн қалды", "ru": "Осталось дней: {days}"}}
    )
    due = notification({"template": "due", "params": {"days": 7}})
    assert renderer.render(due, "kk").text == "7 күн қалды"
    assert renderer.render(due, "en").text == "Осталось дней: 7"  # no English: Russian
    assert renderer.render(notification({"text": {"ru": "только"}}), "kk").text == "только"
    with pytest.raises(RenderError, match="64 bytes"):
        renderer.render(
            notification(
                {
                    "text": {"ru": "x"},
                    "buttons": [[{"text": {"ru": "b"}, "callback_data": "я" * 33}]],
                }
            ),
            "ru",
        )
    with pytest.raises(RenderError, match="template"):
        renderer.render(notification({"template": "unknown"}), "ru")
    with pytest.raises(RenderError, match="parse_mode"):
        renderer.render(notification({"text": {"ru": "x"}, "parse_mode": "BBCode"}), "ru")


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base=2.0, cap=10.0)
    assert [backoff.delay(n, 0.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert [backoff.delay(n, 1.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]
