"""Readiness: can this process serve requests right now?"""

from __future__ import annotations

from campaign_engine.db.health import database_readiness
from campaign_engine.db.pool import Pool
from campaign_engine.jobs import JobQueue


async def readiness(pool: Pool, queue: JobQueue) -> dict[str, bool]:
    answers, migrated = await database_readiness(pool)
    return {"postgresql": answers, "migrations": migrated, "redis": await queue.ping()}
