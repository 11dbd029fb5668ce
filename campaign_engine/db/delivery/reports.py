"""Counts for people watching deliveries: per action, per target and channel, by status."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.delivery import DeliveryExportRow


@dataclass(frozen=True)
class DeliveryCountRow:
    target_id: int
    target_name: str
    channel: str
    address_status: str | None
    status: str | None  # None: no delivery yet
    count: int
    next_release: datetime | None
    next_retry: datetime | None


# Every target and channel of the action, with its deliveries counted by status, when its
# pacer looks next (held appeals) and when the earliest retry is due.
SELECT_DELIVERY_COUNTS = """
SELECT t.id AS target_id, t.name AS target_name, at.channel,
       (SELECT status FROM target_contacts
        WHERE target_id = t.id AND channel = at.channel ORDER BY status = 'ok' DESC, id LIMIT 1)
           AS address_status,
       d.status, count(d.id) AS count,
       p.next_run_at AS next_release,
       min(d.next_attempt_at) FILTER (WHERE d.status IN ('retry', 'ambiguous')) AS next_retry
FROM actions a
JOIN action_targets at ON at.action_id = a.id
JOIN targets t ON t.id = at.target_id
LEFT JOIN deliveries d
       ON d.action_id = a.id AND d.target_id = t.id AND d.channel = at.channel
LEFT JOIN pacing p ON p.target_id = t.id AND p.channel = at.channel
WHERE a.slug = $1
GROUP BY t.id, t.name, at.channel, d.status, p.next_run_at
ORDER BY t.name, at.channel, d.status
"""


async def list_delivery_counts(conn: Connection, slug: str) -> list[DeliveryCountRow]:
    rows = await conn.fetch(SELECT_DELIVERY_COUNTS, slug)
    return [DeliveryCountRow(**dict(row.items())) for row in rows]


# --- The dashboard's and the exports' reading of deliveries
# (domain/campaigns/dashboard.py, exports.py)

# The most recent error of each target and channel of the action: a class and a code, never
# an address.
SELECT_LAST_ERRORS = """
SELECT DISTINCT ON (target_id, channel) target_id, channel, last_error
FROM deliveries
WHERE action_id = $1 AND kind IN ('appeal', 'digest') AND last_error IS NOT NULL
ORDER BY target_id, channel, coalesce(sent_at, next_attempt_at) DESC NULLS LAST, created_at DESC
"""


async def list_last_errors(conn: Connection, action_id: int) -> dict[tuple[int, str], str]:
    """(target id, channel) -> the error of its latest failed or retried appeal."""
    rows = await conn.fetch(SELECT_LAST_ERRORS, action_id)
    return {(row["target_id"], row["channel"]): row["last_error"] for row in rows}


SELECT_DELIVERY_EXPORT = """
SELECT d.created_at, d.released_at, d.sent_at, d.delivered_at,
       t.name AS target_name, t.organisation AS target_organisation,
       d.channel, d.kind, d.status, d.attempts, d.last_error
FROM deliveries d
JOIN targets t ON t.id = d.target_id
WHERE d.action_id = $1 AND d.kind IN ('appeal', 'digest')
ORDER BY d.created_at, d.id
"""


async def stream_delivery_export(
    conn: Connection, action_id: int, batch_size: int
) -> AsyncGenerator[list[DeliveryExportRow], None]:
    """The action's appeals and digests, oldest first, `batch_size` at a time, from a cursor:
    call inside a transaction."""
    cursor = await conn.cursor(SELECT_DELIVERY_EXPORT, action_id)
    while rows := await cursor.fetch(batch_size):
        yield [from_row(DeliveryExportRow, row) for row in rows]
