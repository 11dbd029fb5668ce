"""What the pacer reads and writes for one target on one channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from campaign_engine.db.pool import Connection

# A pacer's row exists from the first appeal held for its target and channel.
INSERT_PACING = """
INSERT INTO pacing (target_id, channel) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""


async def ensure_pacing(conn: Connection, target_id: int, channel: str) -> None:
    await conn.execute(INSERT_PACING, target_id, channel)


# Ask for a look now, unless one is due already. A pacer that is due is not written to, so a
# surge of confirmations does not queue on one row per official.
WAKE_PACER = """
UPDATE pacing SET next_run_at = now()
WHERE target_id = $1 AND channel = $2 AND (next_run_at IS NULL OR next_run_at > now())
"""


async def wake_pacer(conn: Connection, target_id: int, channel: str) -> None:
    await conn.execute(WAKE_PACER, target_id, channel)


def waits_for_supporter(now: str) -> str:
    """SQL: the held appeal `d` of action `a` waits for its supporter to send it from their own
    mailbox (docs/letters.md): an appeal by email of an action that offers it, for a day after
    it was made, unless the deadline is nearer than that. A BCC arriving in the meantime marks
    it sent; after it, the relay sends it."""
    return f"""(a.own_mailbox AND d.kind = 'appeal' AND d.channel = 'email'
                AND d.created_at > {now} - interval '1 day'
                AND (a.deadline IS NULL OR a.deadline > {now} + interval '1 day'))"""


# A pacer that fell asleep with appeals still held (it looked just before they were
# committed) is woken by the sweeper.
WAKE_FORGOTTEN_PACERS = f"""
UPDATE pacing p SET next_run_at = now()
WHERE p.next_run_at IS NULL
  AND EXISTS (SELECT 1 FROM deliveries d JOIN actions a ON a.id = d.action_id
              WHERE d.target_id = p.target_id AND d.channel = p.channel
                AND d.status = 'scheduled' AND NOT a.delivery_paused
                AND NOT {waits_for_supporter("now()")})
"""


async def wake_forgotten_pacers(conn: Connection) -> None:
    await conn.execute(WAKE_FORGOTTEN_PACERS)


# Rows of pacers due to run; SKIP LOCKED lets several workers share them.
SELECT_DUE_PACERS = """
SELECT target_id, channel FROM pacing
WHERE next_run_at <= $1
ORDER BY next_run_at
LIMIT $2
"""


async def list_due_pacers(conn: Connection, now: datetime, limit: int) -> list[tuple[int, str]]:
    return [
        (row["target_id"], row["channel"])
        for row in await conn.fetch(SELECT_DUE_PACERS, now, limit)
    ]


# Taken for the length of a pacer's transaction: one pacer per target and channel at a time.
LOCK_PACING = """
SELECT last_release_at FROM pacing WHERE target_id = $1 AND channel = $2
FOR UPDATE SKIP LOCKED
"""


async def lock_pacing(
    conn: Connection, target_id: int, channel: str
) -> tuple[bool, datetime | None]:
    """(locked, last release): not locked if another pacer holds it right now."""
    row = await conn.fetchrow(LOCK_PACING, target_id, channel)
    if row is None:
        return False, None
    return True, row["last_release_at"]


@dataclass(frozen=True)
class PacingInputs:
    office_hours: dict[str, Any] | None
    time_zone: str
    max_per_hour: int | None
    max_per_day: int | None
    held: int
    min_per_hour: int | None
    deadline: datetime | None
    released_last_hour: int
    released_last_day: int
    first_release_last_hour: datetime | None
    first_release_last_day: datetime | None


# Held appeals count only on actions that are not paused; the floor and the deadline come
# from the actions those appeals belong to.
SELECT_PACING_INPUTS = f"""
WITH held AS (
    SELECT a.deadline, c.min_per_hour
    FROM deliveries d
    JOIN actions a ON a.id = d.action_id
    LEFT JOIN action_channels c ON c.action_id = a.id AND c.channel = d.channel
    WHERE d.target_id = $1 AND d.channel = $2 AND d.status = 'scheduled'
      AND NOT a.delivery_paused AND NOT {waits_for_supporter("$3::timestamptz")}
), released AS (
    SELECT released_at FROM deliveries
    WHERE target_id = $1 AND channel = $2
      AND released_at > $3::timestamptz - interval '1 day'
), last_hour AS (
    SELECT released_at FROM released WHERE released_at > $3::timestamptz - interval '1 hour'
)
SELECT t.office_hours, t.time_zone, t.max_per_hour, t.max_per_day,
       (SELECT count(*) FROM held) AS held,
       (SELECT max(min_per_hour) FROM held) AS min_per_hour,
       (SELECT min(deadline) FROM held WHERE deadline > $3) AS deadline,
       (SELECT count(*) FROM last_hour) AS released_last_hour,
       (SELECT count(*) FROM released) AS released_last_day,
       (SELECT min(released_at) FROM last_hour) AS first_release_last_hour,
       (SELECT min(released_at) FROM released) AS first_release_last_day
FROM targets t
WHERE t.id = $1
"""


async def get_pacing_inputs(
    conn: Connection, target_id: int, channel: str, now: datetime
) -> PacingInputs | None:
    row = await conn.fetchrow(SELECT_PACING_INPUTS, target_id, channel, now)
    if row is None:
        return None
    return PacingInputs(**dict(row.items()))


# The oldest held appeals go first.
RELEASE_HELD = f"""
WITH chosen AS (
    SELECT d.id FROM deliveries d
    JOIN actions a ON a.id = d.action_id
    WHERE d.target_id = $1 AND d.channel = $2 AND d.status = 'scheduled'
      AND NOT a.delivery_paused AND NOT {waits_for_supporter("$4::timestamptz")}
    ORDER BY d.created_at
    LIMIT $3
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE deliveries d
SET status = 'pending', released_at = $4, next_attempt_at = $4
FROM chosen
WHERE d.id = chosen.id
RETURNING d.id
"""


async def release_held(
    conn: Connection, target_id: int, channel: str, count: int, at: datetime
) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(RELEASE_HELD, target_id, channel, count, at)]


SET_PACING = """
UPDATE pacing SET last_release_at = $3, next_run_at = $4 WHERE target_id = $1 AND channel = $2
"""


async def set_pacing(
    conn: Connection,
    target_id: int,
    channel: str,
    last_release_at: datetime | None,
    next_run_at: datetime | None,
) -> None:
    await conn.execute(SET_PACING, target_id, channel, last_release_at, next_run_at)


# After a pause, every pacer of the action's held appeals looks again.
WAKE_PACERS_OF_ACTION = """
UPDATE pacing p SET next_run_at = now()
FROM (SELECT DISTINCT target_id, channel FROM deliveries
      WHERE action_id = $1 AND status = 'scheduled') held
WHERE p.target_id = held.target_id AND p.channel = held.channel
"""


async def wake_pacers_of_action(conn: Connection, action_id: int) -> None:
    await conn.execute(WAKE_PACERS_OF_ACTION, action_id)
