"""APScheduler in the backend process only; the database is the source of truth for due work.

Jobs are added with fixed ids and ``replace_existing`` so a restart never duplicates them, and
the job store is in memory (jobs hold no state worth pickling: they sweep the database).
"""

from __future__ import annotations

import logging

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from backend.settings import SchedulerSettings

log = logging.getLogger(__name__)


def _on_job_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("scheduled run missed", extra={"job": event.job_id})
    elif event.exception is not None:
        log.error(
            "scheduled job failed", extra={"job": event.job_id, "error": repr(event.exception)}
        )


def create_scheduler(settings: SchedulerSettings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_listener(_on_job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler
