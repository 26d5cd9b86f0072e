"""Roster parsing in a separate process, so a large upload never holds the backend's GIL.

A worker thread was not enough: parsing 50 000 rows holds the GIL in long stretches and
``/healthz`` waited 54–345 ms (bench/hardening.py). ``RosterParser`` owns one
``ProcessPoolExecutor`` (created by ``create_roster_parser`` when an app starts, closed when it
stops). Its processes are started with "spawn": a fresh interpreter, never a fork of a process
with running threads and an event loop; they import this package and openpyxl only.

Results come back as plain data in pickled chunks, so the parent unpickles one chunk at a time
between database writes instead of 50 000 rows in one call.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import multiprocessing
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from backend.roster_parsing.rows import (
    TIME_BUDGET,
    Lookups,
    ParsedRoster,
    RosterFileError,
    RowError,
    parse_roster,
)

CHUNK_ROWS = 500  # rows per pickled chunk, and per database statement
START_SLACK = 15.0  # seconds for a fresh worker interpreter to start, beyond the parse budget


@dataclass(frozen=True)
class RosterPlan:
    """The parsed file as insert and update parameters, each list a pickled chunk."""

    new_chunks: list[bytes]  # each: list of insert parameter dicts
    changed_chunks: list[bytes]  # each: list of update parameter dicts
    error_chunks: list[bytes]  # each: list of RowError
    added: int
    updated: int
    rows_total: int
    delimiter: str


def unpickled(chunk: bytes) -> list[Any]:
    """One chunk of a plan (our own worker's output, never user-supplied bytes)."""
    rows: list[Any] = pickle.loads(chunk)
    return rows


def _pickled(items: Sequence[Any]) -> list[bytes]:
    return [
        pickle.dumps(list(items[start : start + CHUNK_ROWS]), protocol=pickle.HIGHEST_PROTOCOL)
        for start in range(0, len(items), CHUNK_ROWS)
    ]


def plan_roster(
    filename: str,
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    lookups: Lookups,
    today: dt.date,
    organisation_id: int,
    existing: dict[str, int],
    now: dt.datetime,
    time_budget: float = TIME_BUDGET,
) -> RosterPlan:
    """Parse the file and sort its rows into inserts and updates (runs in the worker)."""
    parsed: ParsedRoster = parse_roster(
        filename,
        data,
        max_bytes=max_bytes,
        max_rows=max_rows,
        ruleset=lookups,
        today=today,
        time_budget=time_budget,
    )
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in parsed.rows:
        values = {
            "full_name": row.full_name,
            "position_id": row.position_id,
            "username": row.username,
            "last_course_on": row.last_course_on,
            "category": row.category,
        }
        entry_id = existing.get(row.name_key)
        if entry_id is None:
            new_rows.append(
                {
                    **values,
                    "organisation_id": organisation_id,
                    "name_key": row.name_key,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            changed.append({**values, "entry_id": entry_id, "now": now})
    return RosterPlan(
        new_chunks=_pickled(new_rows),
        changed_chunks=_pickled(changed),
        error_chunks=_pickled(parsed.errors),
        added=len(new_rows),
        updated=len(changed),
        rows_total=parsed.rows_total,
        delimiter=parsed.delimiter,
    )


class RosterParser:
    """Runs ``plan_roster`` off the event loop: in a process pool made by ``pool_factory``
    (``start`` makes it, ``close`` shuts it down), or, without a factory (the service's own
    unit tests), in a worker thread.
    """

    def __init__(
        self,
        pool_factory: Callable[[], Executor] | None,
        *,
        time_budget: float = TIME_BUDGET,
    ) -> None:
        self._pool_factory = pool_factory
        self._executor: Executor | None = None
        self.time_budget = time_budget

    def start(self) -> None:
        """Make the pool (its worker process starts with the first upload)."""
        if self._pool_factory is not None and self._executor is None:
            self._executor = self._pool_factory()

    async def plan(self, filename: str, data: bytes, **kwargs: Any) -> RosterPlan:
        """``plan_roster`` within the time budget; ``RosterFileError("too_large", "time")``
        when the worker takes longer (the stuck worker is then replaced).
        """
        kwargs["time_budget"] = self.time_budget
        if self._pool_factory is None:
            return await asyncio.to_thread(plan_roster, filename, data, **kwargs)
        self.start()
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self._executor, _call_plan, filename, data, kwargs)
        try:
            async with asyncio.timeout(self.time_budget + START_SLACK):
                return await call
        except TimeoutError:
            self._restart()
            raise RosterFileError("too_large", "time") from None
        except BrokenProcessPool:  # a worker died (out of memory?): a fresh pool next time
            self._restart()
            raise RosterFileError("unreadable", "worker failed") from None

    async def warm_up(self) -> None:
        """Start the worker process now (a fresh interpreter takes a second or more) rather
        than with the first upload; the serving process calls it at start-up.
        """
        self.start()
        if self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, _ready)

    def _restart(self) -> None:
        old, self._executor = self._executor, None
        if isinstance(old, ProcessPoolExecutor):
            for process in _processes(old):
                with contextlib.suppress(Exception):
                    process.terminate()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Shut the pool down; a running parse is stopped (the app is going away)."""
        self._restart()


def _ready() -> bool:
    return True


def _call_plan(filename: str, data: bytes, kwargs: dict[str, Any]) -> RosterPlan:
    return plan_roster(filename, data, **kwargs)


def _processes(executor: ProcessPoolExecutor) -> Iterator[Any]:
    processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
    yield from list(processes.values())


def create_process_pool() -> ProcessPoolExecutor:
    """One worker: uploads are rare, and two cores are shared with the rest of the backend."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def create_roster_parser(*, time_budget: float = TIME_BUDGET) -> RosterParser:
    """A parser whose pool is made by ``start`` (at app start-up), not at import."""
    return RosterParser(create_process_pool, time_budget=time_budget)


__all__ = [
    "RosterParser",
    "RosterPlan",
    "RowError",
    "create_roster_parser",
    "plan_roster",
    "unpickled",
]
