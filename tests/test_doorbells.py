"""Doorbells ring once their transaction has committed, and never for one rolled back: a worker
woken early would find nothing, and one woken for a rollback would look for a row that was
never there."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import redis.asyncio

from campaign_engine import jobs
from campaign_engine.db.pool import Pool
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.settings import Settings


class ChangedOurMind(Exception):
    pass


async def ring_then_change_our_mind(pool: Pool, queue: jobs.JobQueue, delivery: uuid.UUID) -> None:
    async with committed_then_rung(pool, queue) as (_conn, doorbells):
        doorbells.delivery(delivery)
        raise ChangedOurMind


async def test_a_bell_rings_after_the_commit_and_not_for_a_rollback(
    pool: Pool, settings: Settings, redis_client: redis.asyncio.Redis
) -> None:
    assert settings.redis_url is not None
    connection = await jobs.connect(settings.redis_url)
    queue = jobs.JobQueue(connection)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    try:
        with pytest.raises(ChangedOurMind):
            await ring_then_change_our_mind(pool, queue, dropped)
        async with committed_then_rung(pool, queue) as (conn, doorbells):
            doorbells.delivery(kept)
            # Inside the transaction: noted, not yet rung.
            assert await redis_client.get(f"arq:job:delivery:{kept}:0") is None
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await connection.aclose()
    assert await redis_client.get(f"arq:job:delivery:{kept}:0") is not None
    assert await redis_client.get(f"arq:job:delivery:{dropped}:0") is None


async def test_rings_made_together_share_a_job_and_each_waits_for_its_own(
    settings: Settings, redis_client: redis.asyncio.Redis
) -> None:
    """A surge's signatures ring at once: the rows rung for while one ring is on its way go
    in one job, and every caller returns only once its row is in the queue."""
    assert settings.redis_url is not None
    await redis_client.flushdb()
    connection = await jobs.connect(settings.redis_url)
    queue = jobs.JobQueue(connection)
    rows = [uuid.uuid4() for _ in range(60)]
    try:
        await asyncio.gather(*(queue.wake_delivery(row, 0) for row in rows))
    finally:
        await connection.aclose()
    queued = []
    job_keys = [key async for key in redis_client.scan_iter(match="arq:job:*")]
    for key in job_keys:
        job = json.loads(await redis_client.get(key))
        queued += job["a"][0]
    assert sorted(queued) == sorted(str(row) for row in rows), "every row, once"
    assert len(job_keys) < len(rows) / 2, "fewer jobs than rows"
