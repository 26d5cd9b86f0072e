"""APScheduler in the backend process only; the database is the source of truth for due work.

Jobs are added with fixed ids and ``replace_existing`` so a restart never duplicates them, and
the job store is in memory (jobs hold no state worth pickling: they sweep the database).
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from backend.settings import SchedulerSettings

log = logging.getLogger(__name__)
# APScheduler's own "running job" lines are DEBUG (backend.logs); a run that ends this long
# after its time (queued behind others, or slow) is worth a warning.
LATE_AFTER = dt.timedelta(seconds=60)


def _on_job_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("scheduled run missed", extra={"job": event.job_id})
    elif event.exception is not None:
        # The type only: an exception's text may quote stored names.
        log.error(
            "scheduled job failed",
            extra={"job": event.job_id, "error": type(event.exception).__name__},
        )
    elif event.scheduled_run_time is not None:
        late = dt.datetime.now(dt.UTC) - event.scheduled_run_time
        if late > LATE_AFTER:
            log.warning(
                "scheduled run late",
                extra={"job": event.job_id, "seconds": round(late.total_seconds())},
            )


def create_scheduler(settings: SchedulerSettings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_listener(_on_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    return scheduler
