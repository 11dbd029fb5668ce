"""The queue, as the domain sees it: a doorbell that wakes a worker, and nothing more.

PostgreSQL's outbox is the truth. Ringing is best effort: if Redis is down or loses the job,
the sweeper rings again, so a failure here costs latency, never a message. Job arguments are
ids, serialised as JSON, so neither Redis nor the logs ever hold personal data, and nobody
who can write to Redis can make a worker unpickle code.

Redis may be gone, restarting or hung at any moment, for any length of time
(docs/operations.md, "When Valkey is down"). Every call this process makes to it outside
arq's own loop goes through its connection's `Reachability`: it gives up within a bound, the
outage is said once in the log (and its end once), and while it lasts Redis is not waited on
again but for one backed-off probe at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_DELIVERIES = "send_deliveries"
# Deliveries rung for together go to one job: a fan-out of thousands costs tens of jobs.
BATCH = 100
# An update's send: the job that writes its deliveries (workers/updates.py).
FAN_OUT_UPDATE = "fan_out_update"
FAN_OUT_ALERT = "fan_out_alert"


def serialize(job: dict[str, Any]) -> bytes:
    return json.dumps(job).encode()


def deserialize(data: bytes) -> dict[str, Any]:
    job: dict[str, Any] = json.loads(data)
    return job


# Connecting to Redis, and each answer from it, must come within this long: a server that
# accepts connections and never answers (hung, paused, a half-open socket) otherwise holds a
# request, or a worker's loop, forever. Redis answers in well under a millisecond when well.
CONNECT_SECONDS = 2.0
ANSWER_SECONDS = 2.0
# While Redis is unreachable it is tried again after 0.5 s, doubling to at most 5 s, each
# wait jittered (half to all of it) so a fleet of processes does not probe in step. The cap
# is how long a process may go on without Redis after it is back.
PROBE_FIRST_SECONDS = 0.5
PROBE_CAP_SECONDS = 5.0
# What a web process does without Redis, said when an outage starts (a worker says its own).
WEB_MEANWHILE = (
    "signing goes on: rate limits are off, spent proofs of work are remembered in this "
    "process, and new messages wait for the worker's sweep"
)


class Unreachable(Exception):
    """Redis did not answer in time, or is known not to and is not due to be tried again."""


class Reachability:
    """Whether this process's Redis answers. The first failure starts an outage, logged
    once as a warning with what the process does `meanwhile`; the first answer ends it,
    logged once. During an outage a call is attempted only when a probe is due, one
    caller at a time: the others give up at once instead of waiting on a dead server."""

    def __init__(self, meanwhile: str) -> None:
        self.meanwhile = meanwhile
        self.down_since: datetime | None = None
        self._failures = 0
        self._next_probe = 0.0  # time.monotonic()

    def due(self) -> bool:
        return self.down_since is None or time.monotonic() >= self._next_probe

    def failed(self, error: BaseException) -> None:
        if self.down_since is None:
            self.down_since = datetime.now(UTC)
            log.warning(
                "queue unreachable since %s (%s: %.200s); %s",
                self.down_since.isoformat(timespec="seconds"),
                type(error).__name__,
                str(error),
                self.meanwhile,
            )
        self._failures += 1
        self._hold_off()

    def answered(self) -> None:
        if self.down_since is not None:
            lasted = datetime.now(UTC) - self.down_since
            log.info("queue reachable again after %d s", lasted.total_seconds())
        self.down_since, self._failures = None, 0

    async def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """`make()`'s answer from Redis; Unreachable if it does not come within
        ANSWER_SECONDS, or if Redis is down and no probe is due."""
        if not self.due():
            raise Unreachable
        if self.down_since is not None:
            self._hold_off()  # this call is the probe: the others wait for its outcome
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                answer = await make()
        except (RedisError, OSError, TimeoutError) as error:
            self.failed(error)
            raise Unreachable from error
        self.answered()
        return answer

    def _hold_off(self) -> None:
        ceiling = min(PROBE_CAP_SECONDS, PROBE_FIRST_SECONDS * 2 ** max(self._failures - 1, 0))
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311  # nosec B311 # jitter, not a secret
        self._next_probe = time.monotonic() + wait


class InProcess(Protocol):
    """Where a worker runs a job itself when Redis cannot take it (workers/supervisor.py)."""

    def send_deliveries(self, delivery_ids: list[UUID]) -> None: ...

    def fan_out_update(self, mailing_id: int) -> None: ...

    def fan_out_alert(self, action_id: int) -> None: ...


class QueueConnection(ArqRedis):
    """arq's client for this process's Redis. It connects on first use, so a process starts
    whether Redis answers or not, and again after Redis restarts (redis-py's pool replaces a
    dead connection when it is next taken). It carries the process's `reachability` and, in
    a worker, `instead`: where a job goes when Redis cannot take it."""

    def __init__(self, url: str, meanwhile: str) -> None:
        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=ANSWER_SECONDS
        )
        super().__init__(pool, job_serializer=serialize, job_deserializer=deserialize)
        self.auto_close_connection_pool = True  # the pool is this client's: closed with it
        self.reachability = Reachability(meanwhile)
        self.instead: InProcess | None = None


async def connect(url: str, meanwhile: str = WEB_MEANWHILE) -> QueueConnection:
    """The web's connection. Nothing is asked of Redis yet: an app whose Redis is down
    starts, and signs, all the same."""
    return QueueConnection(url, meanwhile)


def delivery_job_id(delivery_id: UUID, attempt: int) -> str:
    # One id per attempt: a repeat ring for the same attempt is dropped by arq, and a retry
    # (a new attempt) is never mistaken for a job that already ran.
    return f"delivery:{delivery_id}:{attempt}"


class _Gathering:
    """Rows rung for while the previous ring is on its way to Redis: they go in one job."""

    def __init__(self) -> None:
        self.rows: list[tuple[UUID, int]] = []  # (delivery, attempt)
        self.rung: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class JobQueue:
    def __init__(self, redis: QueueConnection) -> None:
        self._redis = redis
        self._gathering: _Gathering | None = None
        self._ringing: asyncio.Task[None] | None = None

    async def wake_delivery(
        self,
        delivery_id: UUID,
        attempt: int,
        *,
        not_before: datetime | None = None,
    ) -> None:
        """Ask a worker to send a delivery; call only after the transaction that made it.

        A row due now shares its job with every row rung for while the ring before it was
        on its way: one enqueue (arq's WATCH/MULTI/EXEC) for a surge's many signatures, not
        one each. The caller still waits until its row is in the queue. A later attempt (a
        retry) has a job of its own, deferred, under an id that makes a repeat ring a no-op."""
        if not_before is not None:
            await self._enqueue([delivery_id], delivery_job_id(delivery_id, attempt), not_before)
            return
        if self._gathering is None:
            self._gathering = _Gathering()
        self._gathering.rows.append((delivery_id, attempt))
        rung = self._gathering.rung
        if self._ringing is None or self._ringing.done():
            self._ringing = asyncio.create_task(self._ring_gathered())
        # Shielded: a request that goes away must not cancel the others' ring.
        await asyncio.shield(rung)

    async def _ring_gathered(self) -> None:
        while self._gathering is not None:
            gathered, self._gathering = self._gathering, None
            try:
                await self._ring(gathered.rows)
            except Exception:  # best effort: the sweeper rings for whatever this loses
                log.exception("ringing for %d deliveries failed", len(gathered.rows))
            finally:
                if not gathered.rung.done():
                    gathered.rung.set_result(None)

    async def _ring(self, rows: list[tuple[UUID, int]]) -> None:
        if len(rows) == 1:  # alone, as when all is quiet: the job id that drops a repeat
            [(delivery_id, attempt)] = rows
            await self._enqueue([delivery_id], delivery_job_id(delivery_id, attempt), None)
        else:
            await self.wake_deliveries([delivery_id for delivery_id, _attempt in rows])

    async def wake_deliveries(self, delivery_ids: list[UUID]) -> None:
        """Ask workers to send many deliveries, a batch to a job; after the transaction."""
        for start in range(0, len(delivery_ids), BATCH):
            # A fresh job id every time: the sweeper's ring must not be dropped as a repeat
            # of a job stuck in a dead worker's hands, which arq keeps for the worker's
            # longest timeout before anyone may run it.
            job_id = f"deliveries:{uuid.uuid4().hex}"
            await self._enqueue(delivery_ids[start : start + BATCH], job_id, None)

    async def fan_out_update(self, mailing_id: int, *, again: bool = False) -> None:
        """Ask a worker to write the deliveries of an update's send; after the transaction
        that started it. `again`: the sweeper's ring for a fan-out that stalled, under a
        fresh job id (the first may still be held by a dead worker)."""
        job_id = f"mailing:{mailing_id}" + (f":{uuid.uuid4().hex}" if again else "")
        try:
            await self._redis.reachability.call(
                lambda: self._redis.enqueue_job(FAN_OUT_UPDATE, mailing_id, _job_id=job_id)
            )
        except Unreachable:
            # In a worker, done here and now; in the web, resumed by the worker's cron.
            if self._redis.instead is not None:
                self._redis.instead.fan_out_update(mailing_id)

    async def fan_out_alert(self, action_id: int, *, again: bool = False) -> None:
        """Ask a worker to write an action's alerts to the network, as `fan_out_update`."""
        job_id = f"alert:{action_id}" + (f":{uuid.uuid4().hex}" if again else "")
        try:
            await self._redis.reachability.call(
                lambda: self._redis.enqueue_job(FAN_OUT_ALERT, action_id, _job_id=job_id)
            )
        except Unreachable:
            if self._redis.instead is not None:
                self._redis.instead.fan_out_alert(action_id)

    async def _enqueue(
        self, delivery_ids: list[UUID], job_id: str, not_before: datetime | None
    ) -> None:
        try:
            await self._redis.reachability.call(
                lambda: self._redis.enqueue_job(
                    SEND_DELIVERIES,
                    [str(delivery_id) for delivery_id in delivery_ids],
                    _job_id=job_id,
                    _defer_until=not_before,
                )
            )
        except Unreachable:
            # In a worker, what is due now is sent here and now. A later ring (a retry's),
            # and every ring from the web, is the sweeper's: it finds the row SWEEP_GRACE
            # after it is due, on its round every 15 s (domain/delivery/deliveries.py).
            if self._redis.instead is not None and not_before is None:
                self._redis.instead.send_deliveries(delivery_ids)

    async def ping(self) -> bool:
        """Whether Redis answers; during an outage, only when a probe is due (readiness
        asks often, and must not wait on a dead server each time)."""
        try:
            return bool(await self._redis.reachability.call(self._redis.ping))
        except Unreachable:
            return False
