"""The workers that run, and how the living tell that one has died.

Each worker process holds a session advisory lock, (WORKER_LOCK_SPACE, its lock_key), on a
connection of its own, and beats every second on it. PostgreSQL frees the lock the moment that
connection closes, which it does at once for a process killed outright; the beat covers a
worker whose connection dropped and came back. A worker is alive while either holds: so a
worker stalled for a while (its lock held) or briefly cut off (its beat fresh) keeps its rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from campaign_engine.db.pool import Connection

# The first half of every worker's two-part lock key (the second is its lock_key). Two-part
# keys live apart from the one-part keys the other advisory locks use; spells "work".
WORKER_LOCK_SPACE = 0x776F726B


async def connect(dsn: str) -> asyncpg.Connection[asyncpg.Record]:
    """A connection of the worker's own, outside any pool: a pool would drop its lock each
    time it took the connection back."""
    return await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})


ENLIST_WORKER = """
INSERT INTO workers (id, host, pid) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET seen_at = now()
RETURNING lock_key
"""


async def enlist_worker(conn: Connection, worker_id: UUID, host: str, pid: int) -> int:
    """Register (or register again) a worker; returns its lock key."""
    lock_key: int = await conn.fetchval(ENLIST_WORKER, worker_id, host, pid)
    return lock_key


TAKE_WORKER_LOCK = "SELECT pg_try_advisory_lock($1::int, $2::int)"


async def take_worker_lock(conn: Connection, lock_key: int) -> bool:
    return bool(await conn.fetchval(TAKE_WORKER_LOCK, WORKER_LOCK_SPACE, lock_key))


BEAT = "UPDATE workers SET seen_at = now() WHERE id = $1 RETURNING id"


async def beat(conn: Connection, worker_id: UUID) -> bool:
    """False when the worker's row is gone (another worker took it for dead)."""
    return await conn.fetchval(BEAT, worker_id) is not None


RETIRE_WORKER = "DELETE FROM workers WHERE id = $1"


async def retire_worker(conn: Connection, worker_id: UUID) -> None:
    await conn.execute(RETIRE_WORKER, worker_id)


# The living: seen within `$1`, or holding their lock in this database; and every one of
# them while the server itself started less than `$3` ago, since a restart frees every lock
# at once and the workers need a moment to come back. pg_locks is read once, not per row.
_LIVE_WORKERS = """
SELECT w.id FROM workers w
WHERE w.seen_at > now() - $1::interval
   OR pg_postmaster_start_time() > now() - $3::interval
   OR w.lock_key::oid IN (
       SELECT l.objid FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.classid = $2::int::oid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
"""

# Rows held by a worker that is not alive (or no longer registered) go back to waiting, due
# now, as ambiguous: what that worker was sending may have gone. Their attempt stays counted.
RECLAIM_FROM_DEAD_WORKERS = f"""
WITH live AS ({_LIVE_WORKERS})
UPDATE deliveries d
SET status = 'ambiguous', lease_until = NULL, leased_by = NULL, next_attempt_at = $4,
    last_error = 'its worker stopped while sending'
WHERE d.status = 'sending' AND d.leased_by IS NOT NULL
  AND d.leased_by NOT IN (SELECT id FROM live)
RETURNING d.id
"""


async def reclaim_from_dead_workers(
    conn: Connection, dead_after: timedelta, restart_grace: timedelta, now: datetime
) -> list[UUID]:
    rows = await conn.fetch(
        RECLAIM_FROM_DEAD_WORKERS, dead_after, WORKER_LOCK_SPACE, restart_grace, now
    )
    return [row["id"] for row in rows]


FORGET_DEAD_WORKERS = f"""
WITH live AS ({_LIVE_WORKERS})
DELETE FROM workers WHERE id NOT IN (SELECT id FROM live)
"""


async def forget_dead_workers(
    conn: Connection, dead_after: timedelta, restart_grace: timedelta
) -> None:
    await conn.execute(FORGET_DEAD_WORKERS, dead_after, WORKER_LOCK_SPACE, restart_grace)
