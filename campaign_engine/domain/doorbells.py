"""Wake-ups decided inside a transaction, rung only once it has committed.

A worker rung before the commit would find nothing, and a transaction rolled back must ring
nobody; a ring after the commit can still be lost (Valkey away, a crash in between), which the
sweeper covers from PostgreSQL. So a verb that writes to the outbox opens its transaction with
`committed_then_rung`, notes there what to wake, and the bells ring after the commit, with
the connection already given back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from campaign_engine.db.pool import Connection, Pool
from campaign_engine.jobs import JobQueue

log = logging.getLogger(__name__)

Ring = Callable[[JobQueue], Awaitable[None]]


class Doorbells:
    """What one transaction will wake once it has committed."""

    def __init__(self) -> None:
        self._rings: list[Ring] = []

    def delivery(
        self, delivery_id: UUID, attempt: int = 0, *, not_before: datetime | None = None
    ) -> None:
        """One row's attempt (a repeat ring for the same attempt is dropped by the queue)."""
        self._rings.append(
            lambda queue: queue.wake_delivery(delivery_id, attempt, not_before=not_before)
        )

    def deliveries(self, delivery_ids: list[UUID]) -> None:
        """Many rows, a batch to a job."""
        if delivery_ids:
            ids = list(delivery_ids)
            self._rings.append(lambda queue: queue.wake_deliveries(ids))

    def fan_out(self, mailing_id: int) -> None:
        """An update's send, to be written a batch at a time by a worker."""
        self._rings.append(lambda queue: queue.fan_out_update(mailing_id))

    def alert(self, action_id: int) -> None:
        """An action's alert to the network, to be written a batch at a time by a worker."""
        self._rings.append(lambda queue: queue.fan_out_alert(action_id))

    async def ring(self, queue: JobQueue | None) -> None:
        """Without a queue (a command run alone), the sweeper finds the rows within 30 s; so
        it does when a ring fails: what was committed is done, and its caller is told so."""
        if queue is not None:
            for ring in self._rings:
                try:
                    await ring(queue)
                except Exception:
                    log.exception("a ring after a commit failed; the sweeper will find its rows")


@asynccontextmanager
async def committed_then_rung(
    pool: Pool, queue: JobQueue | None
) -> AsyncIterator[tuple[Connection, Doorbells]]:
    """A connection in a transaction, and the doorbells to ring once it has committed."""
    doorbells = Doorbells()
    async with pool.acquire() as conn, conn.transaction():
        yield conn, doorbells
    await doorbells.ring(queue)


# One batch of a fan-out, in the caller's transaction: (the deliveries it wrote, whether more
# may follow).
Batch = Callable[[Connection], Awaitable[tuple[list[UUID], bool]]]


async def fan_out_in_batches(
    pool: Pool, queue: JobQueue | None, batch: Batch, max_batches: int | None = None
) -> int:
    """Run `batch` in transactions of its own until it says it is done, waking the senders
    after each commit (an update's send, an alert). Returns how many deliveries were written.
    `max_batches` stops early (the tests' crash)."""
    written = batches = 0
    while max_batches is None or batches < max_batches:
        async with committed_then_rung(pool, queue) as (conn, doorbells):
            created, more = await batch(conn)
            doorbells.deliveries(created)
        written, batches = written + len(created), batches + 1
        if not more:
            break
    return written
