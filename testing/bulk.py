"""Bulk loads straight into PostgreSQL with COPY, for the benchmarks and the scale run that
need hundreds of thousands of rows in seconds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

# Each record: (user_id, completed_on, title, provider, hours, created_at, updated_at).
COURSE_RECORD_COLUMNS = (
    "user_id",
    "completed_on",
    "title",
    "provider",
    "hours",
    "created_at",
    "updated_at",
)


async def copy_course_records(
    connection: asyncpg.Connection, records: Iterable[Sequence[Any]]
) -> None:
    await connection.copy_records_to_table(
        "course_record", records=records, columns=list(COURSE_RECORD_COLUMNS)
    )
