"""A teacher's courses as the timeline picture (backend.pictures.timeline): the recorded
courses, the due date, today and the next national testing window, in the reader's language.

The bot's "My courses" and the HTTP API's timeline.png both come here; drawing runs in a
worker thread, so the event loop never waits for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from backend.courses.testing import next_window
from backend.models import CourseRecord
from backend.pictures.catalog import Catalog
from backend.pictures.timeline import (
    Course,
    TimelineData,
    Window,
    render_timeline,
    timeline_labels,
)
from backend.rules.schema import TestingWindow


def timeline_data(
    records: Sequence[CourseRecord],
    due: dt.date | None,
    today: dt.date,
    windows: Sequence[TestingWindow],
) -> TimelineData:
    window = next_window(windows, today)
    return TimelineData(
        courses=[Course(record.completed_on, record.title) for record in records],
        due=due,
        today=today,
        testing=Window(window.start, window.end) if window else None,
    )


async def timeline_png(
    *,
    records: Sequence[CourseRecord],
    due: dt.date | None,
    today: dt.date,
    windows: Sequence[TestingWindow],
    catalog: Catalog,
) -> bytes:
    """The PNG; the words are translated here, on the loop, and the drawing done off it."""
    data = timeline_data(records, due, today, windows)
    labels = timeline_labels(catalog, data)
    return await asyncio.to_thread(render_timeline, data, labels)
