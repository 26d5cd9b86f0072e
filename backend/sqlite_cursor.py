"""An aiosqlite cursor for SQLAlchemy that runs a statement in one trip to aiosqlite's thread.

SQLAlchemy's aiosqlite adapter makes four trips per query: make the cursor, execute, fetch the
rows, close the cursor. Each trip is a future, a queue hand-off, a wake-up of the event loop
through its self-pipe, and a switch of the GIL: on a bot update that reads the user and the
dialog state, most of the SQLite cost. Here ``execute`` makes a sqlite3 cursor, runs the
statement, fetches any rows and closes the cursor, all in one function on aiosqlite's thread
(where the sqlite3 connection must be used). The description is remembered as SQLAlchemy's own
``_async_soft_close`` does, so its ``close`` makes no trip; ``rowcount`` and ``lastrowid`` stay
readable on a closed sqlite3 cursor. Each ``execute`` gets a new sqlite3 cursor.
"""

from __future__ import annotations

import collections
import functools
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT, immutabledict

from backend import sqlite_writes

_Ran = tuple[sqlite3.Cursor, Any, list[Any] | None]


def _run(connection: sqlite3.Connection, operation: Any, parameters: Any, many: bool) -> _Ran:
    """On aiosqlite's thread: execute, fetch any rows, close."""
    cursor = connection.cursor()
    if many:
        cursor.executemany(operation, parameters)
    elif parameters is None:
        cursor.execute(operation)
    else:
        cursor.execute(operation, parameters)
    description = cursor.description
    rows = None if description is None else cursor.fetchall()
    cursor.close()
    return cursor, description, rows


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: Any) -> None:  # no trip: the cursor comes later
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    @property
    def description(self) -> Any:
        if "description" in self._soft_closed_memoized:
            return self._soft_closed_memoized["description"]
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return 1 if self._cursor is None else self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        if self._cursor is not None:
            self._cursor.arraysize = value

    async def _async_soft_close(self) -> None:
        if self._cursor is None or self._soft_closed_memoized:
            return
        await super()._async_soft_close()

    def close(self) -> None:
        if self._cursor is None:
            return
        super().close()

    async def _one_trip(self, operation: Any, parameters: Any, many: bool) -> Any:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        gate = sqlite_writes.gate_of(connection)
        if gate is not None and sqlite_writes.is_write(operation):
            await gate.enter(connection)
        try:
            async with self._adapt_connection._execute_mutex:
                ran: _Ran = await connection._execute(  # type: ignore[no-untyped-call]
                    _run, connection._conn, operation, parameters, many
                )
        finally:
            if gate is not None:  # no transaction open: an autocommit write, or one that failed
                sqlite_writes.leave_if_done(connection)
        cursor, description, rows = ran
        self._cursor = aiosqlite.Cursor(connection, cursor)  # type: ignore[assignment]
        self._soft_closed_memoized = immutabledict({"description": description})
        self._rows = collections.deque(rows or ())
        return self._cursor

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_trip(operation, seq_of_parameters, many=True)


def _leaving_the_line(end: Callable[[Any], None]) -> Callable[[Any], None]:
    """``end`` (commit, rollback or close), then the connection's place in the writers' line
    (``backend.sqlite_writes``) goes to the next writer, whether ``end`` succeeded or not."""

    @functools.wraps(end)
    def ended(self: Any) -> None:
        try:
            end(self)
        finally:
            gate = sqlite_writes.gate_of(self._connection)
            if gate is not None:
                gate.leave(self._connection)

    ended.__sanat_wrapped__ = True  # type: ignore[attr-defined]
    return ended


def install() -> None:
    """Make every SQLAlchemy aiosqlite connection in this process use ``OneTripCursor`` and
    give back its place in the writers' line when its transaction ends."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneTripCursor
    for name in ("commit", "rollback", "close"):
        end = getattr(AsyncAdapt_aiosqlite_connection, name)
        if not getattr(end, "__sanat_wrapped__", False):
            setattr(AsyncAdapt_aiosqlite_connection, name, _leaving_the_line(end))
