"""The pure cycle arithmetic: due dates, 29 February, the ladder, catch-up and quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.courses import (
    catch_up,
    due_date,
    due_milestones,
    in_quiet_hours,
    ladder,
    latest_milestone,
    next_send_moment,
)
from backend.courses.preferences import reminders_paused, snooze_until
from backend.courses.quiet import day_send_moment
from backend.courses.status import due_status
from backend.rules.loader import Ruleset
from backend.settings import DeliverySettings
from tests.courses.helpers import ALMATY, at_local, local

DAYS = [180, 90, 30, 7, 0]


def _latest(due: dt.date, days: list[int], every: int, on: dt.date) -> str | None:
    milestone = latest_milestone(due, days, every, on)
    return milestone.id if milestone else None


QUIET = (dt.time(20, 0), dt.time(9, 0))


def test_the_period_is_rules_data_with_its_citation(ruleset: Ruleset) -> None:
    refresher = ruleset.meta.refresher
    assert refresher.period_years == 3
    assert refresher.citation.act
    assert "үш жылда кемінде бір рет" in refresher.quote


@pytest.mark.parametrize(
    ("completed", "due"),
    [
        (dt.date(2023, 5, 10), dt.date(2026, 5, 10)),
        (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),  # common year: the day before 1 March
        (dt.date(2021, 2, 28), dt.date(2024, 2, 28)),  # not moved to the 29th in a leap year
        (dt.date(2020, 2, 29), dt.date(2024, 2, 29)),  # leap to leap: the same day
    ],
)
def test_due_date_including_29_february(completed: dt.date, due: dt.date) -> None:
    years = due.year - completed.year
    assert due_date(completed, years) == due


def test_ladder_ids_and_dates() -> None:
    due = dt.date(2026, 5, 10)
    rungs = ladder(due, DAYS, 30, until=dt.date(2026, 7, 9))
    assert [(rung.id, rung.on) for rung in rungs] == [
        ("d180", dt.date(2025, 11, 11)),
        ("d90", dt.date(2026, 2, 9)),
        ("d30", dt.date(2026, 4, 10)),
        ("d7", dt.date(2026, 5, 3)),
        ("d0", dt.date(2026, 5, 10)),
        ("o30", dt.date(2026, 6, 9)),
        ("o60", dt.date(2026, 7, 9)),
    ]


def test_latest_milestone_is_the_catch_up_of_all_missed_ones() -> None:
    due = dt.date(2026, 5, 10)
    for offset in range(-200, 100):
        on = due + dt.timedelta(days=offset)
        missed = due_milestones(due, DAYS, 30, on)
        assert latest_milestone(due, DAYS, 30, on) == catch_up(missed), on
    assert latest_milestone(due, DAYS, 30, dt.date(2025, 11, 10)) is None
    assert _latest(due, DAYS, 30, dt.date(2026, 5, 9)) == "d7"
    assert _latest(due, DAYS, 30, dt.date(2026, 6, 8)) == "d0"
    assert _latest(due, DAYS, 30, dt.date(2027, 1, 1)) == "o210"  # 236 days overdue


def test_ladder_follows_the_settings() -> None:
    due = dt.date(2026, 5, 10)
    rungs = ladder(due, [60, 14, 60], 7, until=dt.date(2026, 5, 24))
    assert [rung.id for rung in rungs] == ["d60", "d14", "o7", "o14"]
    # without a due-day rung, the last reminder stays the latest until the first overdue one
    assert _latest(due, [60, 14], 7, dt.date(2026, 5, 12)) == "d14"


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ((12, 0), (0, 12, 0)),
        ((9, 0), (0, 9, 0)),
        ((8, 59), (0, 9, 0)),
        ((19, 59), (0, 19, 59)),
        ((20, 0), (1, 9, 0)),
        ((21, 30), (1, 9, 0)),  # the example: 21:30 goes out at 09:00 next morning
        ((2, 0), (0, 9, 0)),
    ],
)
def test_quiet_hours_move_a_send_to_09_00_almaty(
    wall: tuple[int, int], expected: tuple[int, int, int]
) -> None:
    moment = local(2026, 4, 10, *wall)
    sent = next_send_moment(moment, ALMATY, *QUIET)
    assert sent.tzinfo == dt.UTC
    plus_days, hour, minute = expected
    assert at_local(sent) == dt.datetime(2026, 4, 10 + plus_days, hour, minute, tzinfo=ALMATY)


def test_quiet_hours_in_utc_and_edge_settings() -> None:
    assert next_send_moment(local(2026, 4, 10, 21, 30), ALMATY, *QUIET) == dt.datetime(
        2026, 4, 11, 4, 0, tzinfo=dt.UTC
    )  # Almaty is UTC+5
    assert day_send_moment(dt.date(2026, 4, 10), ALMATY, *QUIET) == dt.datetime(
        2026, 4, 10, 4, 0, tzinfo=dt.UTC
    )
    assert not in_quiet_hours(dt.time(3, 0), dt.time(9, 0), dt.time(9, 0))  # none configured
    assert in_quiet_hours(dt.time(3, 0), dt.time(1, 0), dt.time(6, 0))  # a window not wrapping
    assert not in_quiet_hours(dt.time(7, 0), dt.time(1, 0), dt.time(6, 0))
    with pytest.raises(ValueError, match="naive"):
        next_send_moment(dt.datetime(2026, 1, 1, 12), ALMATY, *QUIET)


def test_snooze_and_stop() -> None:
    now = local(2026, 4, 10, 10)
    until = snooze_until(now)
    assert until == now + dt.timedelta(days=7)
    assert reminders_paused(False, until, now + dt.timedelta(days=6))
    assert not reminders_paused(False, until, until)
    assert reminders_paused(True, None, now)
    assert not reminders_paused(False, None, now)


def test_due_status_lists_the_ladder_with_send_times() -> None:
    status = due_status(
        dt.date(2023, 5, 10),
        period_years=3,
        delivery=DeliverySettings(),
        tz=ALMATY,
        now=local(2026, 5, 5, 23, 0),
    )
    assert status.due == dt.date(2026, 5, 10)
    assert status.days_left == 5
    assert status.current is not None
    assert status.current.id == "d7"
    first = status.ladder[0]
    assert (first.milestone.id, first.send_at) == (
        "d180",
        dt.datetime(2025, 11, 11, 4, 0, tzinfo=dt.UTC),
    )
