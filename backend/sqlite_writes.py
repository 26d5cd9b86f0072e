"""One writer at a time per SQLite database in this process, waiting in line on the event loop.

SQLite lets one connection write at a time. A second connection that wants to write while the
first one's transaction is open is refused, and sqlite3's busy handler sleeps and retries: after
1, 2, 5, 10, … up to 100 ms at a time, however soon the lock frees. With a dozen bot updates at
once on the embedded database, those sleeps were the whole tail: a step that wrote (a new user,
a language, a dialog state) took 100–500 ms where the others took 2. Here a connection about to
write first takes the database's ``asyncio.Lock``, and gives it back when its transaction ends
(after a commit, a rollback, a close, or a statement that left no transaction open): writers
queue in order and each starts the moment the previous one commits.

Readers never wait (WAL lets them read while someone writes). A writer that has waited
``GATE_TIMEOUT`` goes ahead without the lock, and SQLite's own ``busy_timeout`` (as long) decides
as before: a writer blocked by a connection of its own task fails as it always did, never hangs.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

GATE_TIMEOUT = 5.0  # seconds: as SQLite's busy_timeout (backend.db)
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_GATE_ATTRIBUTE = "_sanat_write_gate"


@dataclass
class _LoopGate:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: Any = None  # the aiosqlite connection whose transaction holds ``lock``


class WriteGate:
    """The line of writers for one database (one per engine), per event loop."""

    def __init__(self, timeout: float = GATE_TIMEOUT) -> None:
        self.timeout = timeout
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopGate] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> _LoopGate:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = _LoopGate()
        return gate

    async def enter(self, connection: Any) -> None:
        """Wait for the line before ``connection`` writes (at once if it holds it already)."""
        gate = self._gate()
        if gate.holder is connection:
            return
        try:
            async with asyncio.timeout(self.timeout):
                await gate.lock.acquire()
        except TimeoutError:
            return  # SQLite's busy_timeout decides, as without the line
        gate.holder = connection

    def leave(self, connection: Any) -> None:
        """``connection``'s transaction ended: the next writer may go."""
        try:
            gate = self._gates.get(asyncio.get_running_loop())
        except RuntimeError:  # closed outside the loop (at exit): no one is waiting
            return
        if gate is not None and gate.holder is connection:
            gate.holder = None
            gate.lock.release()


def is_write(operation: Any) -> bool:
    return isinstance(operation, str) and _WRITE.match(operation) is not None


def attach(driver_connection: Any, gate: WriteGate) -> None:
    """Make ``driver_connection`` (an aiosqlite connection) wait in ``gate``'s line to write."""
    setattr(driver_connection, _GATE_ATTRIBUTE, gate)


def gate_of(driver_connection: Any) -> WriteGate | None:
    gate: WriteGate | None = getattr(driver_connection, _GATE_ATTRIBUTE, None)
    return gate


def leave_if_done(driver_connection: Any) -> None:
    """Give the line back if ``driver_connection`` has no transaction open any more."""
    gate = gate_of(driver_connection)
    if gate is not None and not driver_connection.in_transaction:
        gate.leave(driver_connection)
