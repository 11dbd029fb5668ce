"""Whether the database can serve: it answers, and its schema is at the migrations' head."""

from __future__ import annotations

import asyncpg

from campaign_engine.db.migrate import is_at_head
from campaign_engine.db.pool import Pool

SELECT_ONE = "SELECT 1"


async def database_readiness(pool: Pool) -> tuple[bool, bool]:
    """(answers, migrated); never raises, since a health check must answer even then."""
    try:
        async with pool.acquire(timeout=2) as conn:
            answers = await conn.fetchval(SELECT_ONE) == 1
            return answers, await is_at_head(conn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False, False
