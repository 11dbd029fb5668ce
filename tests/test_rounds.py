"""The crons (pacers every second, the sweeper, the schedules) keep their time however many
jobs wait in the queue: the worker's supervisor runs them itself, on slots of their own,
instead of queueing them behind a surge's backlog as arq would."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import redis.asyncio
from arq import cron

from campaign_engine import jobs
from campaign_engine.settings import Settings
from workers.main import EVERY_SECOND
from workers.supervisor import supervised

FLOOD = 2000  # jobs, each a claim that finds nothing: seconds of work for one job slot


async def test_the_rounds_keep_their_second_behind_a_flooded_queue(
    settings: Settings, redis_client: redis.asyncio.Redis
) -> None:
    assert settings.redis_url is not None
    await redis_client.flushdb()
    ticks: list[float] = []

    async def tick(ctx: dict[str, Any]) -> None:
        ticks.append(asyncio.get_running_loop().time())

    connection = await jobs.connect(settings.redis_url)
    queue = jobs.JobQueue(connection)
    try:
        for _ in range(FLOOD):  # one job each: fresh job ids, nothing dropped as a repeat
            await queue.wake_deliveries([uuid.uuid4()])
    finally:
        await connection.aclose()

    every_second = cron(tick, name="tick", second=EVERY_SECOND, run_at_startup=True)
    supervisor = supervised(settings, rounds=[every_second], max_jobs=1)
    serving = asyncio.create_task(supervisor.serve())
    await asyncio.sleep(4)
    waiting = await redis_client.zcard("arq:queue")
    supervisor.stop()
    await serving
    await redis_client.flushdb()

    assert waiting > 0, "jobs were still waiting: the queue was busy all along"
    assert len(ticks) >= 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert max(gaps) < 1.5, f"a round came late: {gaps}"
