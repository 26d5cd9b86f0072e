"""A worker whose lease ran out cannot store an outcome over another worker's newer claim of the
same row: every write about a claimed row names the lease end its claim set (a fencing token)."""

from __future__ import annotations

import datetime as dt

from backend.db import SessionPool
from backend.delivery.outbox import Outbox
from backend.models.types import utcnow
from tests.delivery.support import enqueue, notifications, text

LEASE = dt.timedelta(seconds=60)


async def test_a_late_outcome_does_not_overwrite_a_newer_claim(session_pool: SessionPool) -> None:
    moments = [utcnow() + dt.timedelta(seconds=1)]  # the rows enqueued below are due
    outbox = Outbox(session_pool, now=lambda: moments[-1])
    await enqueue(session_pool, [(None, 7001, "n1", text("n1")), (None, 7002, "n2", text("n2"))])
    stalled = await outbox.claim(10, LEASE)  # a worker that stalls past its lease
    moments.append(moments[-1] + LEASE + dt.timedelta(seconds=1))
    fresh = await outbox.claim(10, LEASE)  # another worker takes the rows again
    assert [item.id for item in fresh.items] == [item.id for item in stalled.items]

    await outbox.sent(stalled.items[0], 1)  # the stalled worker's late writes change nothing
    await outbox.retry_at(stalled.items[1], moments[-1], 1, "late")
    await outbox.release(stalled.items, moments[-1])
    rows = await notifications(session_pool)
    assert [rows[key].status for key in ("n1", "n2")] == ["sending", "sending"]

    await outbox.sent(fresh.items[0], 1)  # the newer claim's writes go through
    await outbox.release(fresh.items[1:], moments[-1])
    rows = await notifications(session_pool)
    assert [rows[key].status for key in ("n1", "n2")] == ["sent", "pending"]
