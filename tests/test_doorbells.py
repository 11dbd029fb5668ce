"""Doorbells ring once their transaction has committed, and never for one rolled back: a worker
woken early would find nothing, and one woken for a rollback would look for a row that was
never there."""

from __future__ import annotations

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
