"""The queue, as the domain sees it: a doorbell that wakes a worker, and nothing more.

PostgreSQL's outbox is the truth. Ringing is best effort: if Redis is down or loses the job,
the sweeper rings again, so a failure here costs latency, never a message. Job arguments are
ids, serialised as JSON, so neither Redis nor the logs ever hold personal data, and nobody
who can write to Redis can make a worker unpickle code.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SEND_DELIVERIES = "send_deliveries"
# Deliveries rung for together go to one job: a fan-out of thousands costs tens of jobs.
BATCH = 100
# An update's send: the job that writes its deliveries (workers/updates.py).
FAN_OUT_UPDATE = "fan_out_update"


def serialize(job: dict[str, Any]) -> bytes:
    return json.dumps(job).encode()


def deserialize(data: bytes) -> dict[str, Any]:
    job: dict[str, Any] = json.loads(data)
    return job


def redis_settings(url: str) -> RedisSettings:
    # A web request must not wait long for a doorbell: fail fast, the sweeper will ring later.
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


async def connect(url: str) -> ArqRedis:
    return await create_pool(
        redis_settings(url), job_serializer=serialize, job_deserializer=deserialize
    )


def delivery_job_id(delivery_id: UUID, attempt: int) -> str:
    # One id per attempt: a repeat ring for the same attempt is dropped by arq, and a retry
    # (a new attempt) is never mistaken for a job that already ran.
    return f"delivery:{delivery_id}:{attempt}"


class JobQueue:
    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis

    async def wake_delivery(
        self,
        delivery_id: UUID,
        attempt: int,
        *,
        not_before: datetime | None = None,
    ) -> None:
        """Ask a worker to send a delivery; call only after the transaction that made it."""
        await self._enqueue([delivery_id], delivery_job_id(delivery_id, attempt), not_before)

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
            await self._redis.enqueue_job(FAN_OUT_UPDATE, mailing_id, _job_id=job_id)
        except (RedisError, OSError) as error:
            log.warning("queue unavailable, the sweeper will fan out %d: %r", mailing_id, error)

    async def _enqueue(
        self, delivery_ids: list[UUID], job_id: str, not_before: datetime | None
    ) -> None:
        try:
            await self._redis.enqueue_job(
                SEND_DELIVERIES,
                [str(delivery_id) for delivery_id in delivery_ids],
                _job_id=job_id,
                _defer_until=not_before,
            )
        except (RedisError, OSError) as error:
            log.warning("queue unavailable, the sweeper will send %d: %r", len(delivery_ids), error)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False
