"""Counts for people watching deliveries: per action, per target and channel, by status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.db.pool import Connection


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
