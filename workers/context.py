"""What every job shares, opened once when the worker starts; and the worker's presence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

from campaign_engine.clock import Clock
from campaign_engine.db.outage import DatabaseOutage, database_unreachable
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.deliveries import (
    HEARTBEAT,
    enlist_worker,
    keep_alive,
    reclaim_from_dead_workers,
    retire_worker,
)
from campaign_engine.jobs import JobQueue
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerServices:
    """What the jobs share. Sending has its own (domain/delivery/sending.py): the carriers,
    the templates, the slots."""

    settings: Settings
    pool: Pool
    queue: JobQueue
    tokens: Tokens
    clock: Clock
    sending: Sending


def services(ctx: dict[str, Any]) -> WorkerServices:
    found: WorkerServices = ctx["services"]
    return found


class Presence:
    """This worker process, as the others see it: registered, its lock held and a beat every
    second on a connection of its own; and, each beat, the rows of dead workers taken back
    (domain/delivery/deliveries.py). So a restarted worker resumes its dead predecessor's sends
    within seconds, and several workers side by side never take each other's rows."""

    def __init__(
        self, database_url: str, queue: JobQueue, clock: Clock, outage: DatabaseOutage
    ) -> None:
        self.worker_id = uuid.uuid4()
        self._outage = outage
        self._database_url = database_url
        self._queue = queue
        self._clock = clock
        self._host, self._pid = socket.gethostname(), os.getpid()
        self._conn: Connection | None = None
        self._beating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Registered before the first claim, so no row is ever held by an unknown worker."""
        self._conn = await enlist_worker(self._database_url, self.worker_id, self._host, self._pid)
        self._beating = asyncio.create_task(self._beat())

    async def stop(self) -> None:
        """Leave the table, so the others take back at once whatever this worker still held."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        if self._conn is not None and not self._conn.is_closed():
            # If the database is away, its lock goes with the connection all the same.
            with contextlib.suppress(Exception):
                await retire_worker(self._conn, self.worker_id)
            self._conn.terminate()

    async def _beat(self) -> None:
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    # A dropped connection freed the lock: take it again on a new one.
                    self._conn = await enlist_worker(
                        self._database_url, self.worker_id, self._host, self._pid
                    )
                await keep_alive(self._conn, self.worker_id, self._host, self._pid)
                await reclaim_from_dead_workers(self._conn, self._queue, self._clock)
            except Exception as error:
                # The database is away (said once, with the jobs'), or a bug (said each
                # time): either way, a new connection at the next beat.
                cause = database_unreachable(error)
                if cause is None:
                    log.exception("worker presence failed")
                else:
                    self._outage.began(cause)
                if self._conn is not None:
                    self._conn.terminate()
                self._conn = None
            await asyncio.sleep(HEARTBEAT.total_seconds())
