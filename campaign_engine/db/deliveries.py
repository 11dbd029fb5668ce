"""The outbox: create, claim, record, and find what is overdue.

A worker claims a row with a lease and commits before any network I/O, so a crash mid-send
leaves a row whose lease runs out and which the sweeper hands to another worker.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.models import Delivery, DeliveryKind, DueDelivery

INSERT_DELIVERY = """
INSERT INTO deliveries (dedup_key, kind, channel, signature_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def insert_delivery(
    conn: Connection, *, dedup_key: str, kind: DeliveryKind, channel: str, signature_id: UUID
) -> UUID | None:
    """The new delivery's id, or None when one with this key exists already."""
    delivery_id: UUID | None = await conn.fetchval(
        INSERT_DELIVERY, dedup_key, kind, channel, signature_id
    )
    return delivery_id


# How many emails of a kind a signature has had, and whether one (not failed) is recent.
SELECT_SUPPORTER_EMAIL_HISTORY = """
SELECT count(*) AS sent_before,
       coalesce(bool_or(created_at > now() - $3::interval AND status <> 'failed'), false) AS recent
FROM deliveries
WHERE signature_id = $1 AND kind = $2
"""


async def get_supporter_email_history(
    conn: Connection, signature_id: UUID, kind: DeliveryKind, window: timedelta
) -> tuple[int, bool]:
    row = await conn.fetchrow(SELECT_SUPPORTER_EMAIL_HISTORY, signature_id, kind, window)
    assert row is not None
    return int(row["sent_before"]), bool(row["recent"])


# Claimable: waiting and due, or "sending" under a lease that ran out (its worker died).
CLAIM_DELIVERY = """
UPDATE deliveries
SET status = 'sending', attempts = attempts + 1, lease_until = now() + $2::interval
WHERE id = $1
  AND ((status IN ('pending', 'retry', 'ambiguous') AND next_attempt_at <= now())
       OR (status = 'sending' AND lease_until < now()))
RETURNING id, kind, channel, signature_id, attempts
"""


async def claim_delivery(conn: Connection, delivery_id: UUID, lease: timedelta) -> Delivery | None:
    row = await conn.fetchrow(CLAIM_DELIVERY, delivery_id, lease)
    if row is None:
        return None
    return Delivery(
        id=row["id"],
        kind=DeliveryKind(row["kind"]),
        channel=row["channel"],
        signature_id=row["signature_id"],
        attempts=row["attempts"],
    )


# Every record below is fenced by the attempt it concerns: a worker whose lease ran out (and
# whose row another worker has since taken) records nothing, and so overwrites nothing.
MARK_SENT = """
UPDATE deliveries SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def mark_sent(conn: Connection, delivery_id: UUID, attempt: int) -> bool:
    return await conn.fetchval(MARK_SENT, delivery_id, attempt) is not None


# Retry and ambiguous rows wait for next_attempt_at; the worker also rings for them itself.
MARK_WAITING = """
UPDATE deliveries
SET status = $3, next_attempt_at = now() + $4::interval, lease_until = NULL, last_error = $5
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def mark_waiting(
    conn: Connection, delivery_id: UUID, attempt: int, status: str, delay: timedelta, error: str
) -> bool:
    waiting = await conn.fetchval(MARK_WAITING, delivery_id, attempt, status, delay, error)
    return waiting is not None


MARK_FAILED = """
UPDATE deliveries SET status = 'failed', lease_until = NULL, last_error = $3
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def mark_failed(conn: Connection, delivery_id: UUID, attempt: int, error: str) -> bool:
    return await conn.fetchval(MARK_FAILED, delivery_id, attempt, error) is not None


# Overdue: due longer than `grace` ago (a fresh row's own doorbell has had its chance), or
# sending under an expired lease.
SELECT_OVERDUE = """
SELECT id, attempts FROM deliveries
WHERE (status IN ('pending', 'retry', 'ambiguous') AND next_attempt_at <= now() - $1::interval)
   OR (status = 'sending' AND lease_until < now())
ORDER BY next_attempt_at
LIMIT $2
"""


async def list_overdue(conn: Connection, grace: timedelta, limit: int) -> list[DueDelivery]:
    return [
        DueDelivery(row["id"], row["attempts"])
        for row in await conn.fetch(SELECT_OVERDUE, grace, limit)
    ]
