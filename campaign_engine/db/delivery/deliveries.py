"""The outbox: create, claim, record, and find what is overdue.

A worker claims a row with a lease and commits before any network I/O, so a crash mid-send
leaves a row whose lease runs out and which the sweeper hands to another worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.delivery import Delivery, DeliveryKind, DueDelivery

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


# Emails to one address about its signatures (confirm, already signed), on every action; the
# count stops at the cap. Failed ones count too: they were attempts on that mailbox.
COUNT_EMAILS_ABOUT_SIGNATURES = """
SELECT count(*) FROM (
    SELECT 1 FROM signatures s JOIN deliveries d ON d.signature_id = s.id
    WHERE s.supporter_id = $1 AND d.kind IN ('confirmation', 'already_signed')
      AND d.created_at > now() - $2::interval
    LIMIT $3
) recent
"""


async def count_emails_about_signatures(
    conn: Connection, supporter_id: UUID, window: timedelta, cap: int
) -> int:
    count: int = await conn.fetchval(COUNT_EMAILS_ABOUT_SIGNATURES, supporter_id, window, cap)
    return count


# Claimable: waiting and due, or "sending" under a lease that ran out (its worker died); and,
# for a letter to an official or an alert to the network, never while its action is paused (a
# signer's own email still goes); for a webhook, never while its endpoint is switched off
# (held until switched on). The claim names its worker, so that worker's successor can take
# the row back if it dies.
CLAIM_DELIVERIES = """
UPDATE deliveries d
SET status = 'sending', attempts = attempts + 1, lease_until = $3::timestamptz + $2::interval,
    leased_by = $4
WHERE id = ANY($1::uuid[])
  AND ((status IN ('pending', 'retry', 'ambiguous') AND next_attempt_at <= $3)
       OR (status = 'sending' AND lease_until < $3))
  AND NOT (kind IN ('appeal', 'digest', 'network_alert')
           AND EXISTS (SELECT 1 FROM actions a WHERE a.id = d.action_id AND a.delivery_paused))
  AND NOT (kind = 'webhook'
           AND EXISTS (SELECT 1 FROM webhook_endpoints e
                       WHERE e.id = d.webhook_endpoint_id AND NOT e.enabled))
RETURNING id, kind, channel, signature_id, target_id, action_id, contact_id, attempts,
          text_attempted_at
"""


async def claim_deliveries(
    conn: Connection,
    delivery_ids: list[UUID],
    lease: timedelta,
    now: datetime,
    holder: UUID | None = None,
) -> list[Delivery]:
    rows = await conn.fetch(CLAIM_DELIVERIES, delivery_ids, lease, now, holder)
    return [from_row(Delivery, row, kind=DeliveryKind(row["kind"])) for row in rows]


# Written, and committed, before a text is handed to Twilio: if the worker dies or the answer
# is lost, the retry knows to look for the text at Twilio before sending it again. Fenced like
# a record, so a worker that lost the row sends nothing.
NOTE_TEXT_ATTEMPT = """
UPDATE deliveries SET text_attempted_at = $3
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def note_text_attempt(
    conn: Connection, delivery_id: UUID, attempt: int, at: datetime
) -> bool:
    """False when the row is no longer this attempt's to send."""
    return await conn.fetchval(NOTE_TEXT_ATTEMPT, delivery_id, attempt, at) is not None


# A text found at Twilio becomes this delivery's, unless another delivery holds it already:
# the unique index on provider_id decides, so two deliveries of the same words to the same
# number can never both claim one message.
ADOPT_TEXT = """
UPDATE deliveries SET provider_id = $3
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def adopt_text(
    conn: Connection, delivery_id: UUID, attempt: int, provider_id: str
) -> bool | None:
    """True: adopted; False: the row is no longer this attempt's; None: another delivery
    holds that message."""
    try:
        adopted = await conn.fetchval(ADOPT_TEXT, delivery_id, attempt, provider_id)
    except asyncpg.UniqueViolationError:
        return None
    return adopted is not None


# Every record below is fenced by the attempt it concerns: a worker whose lease ran out (and
# whose row another worker has since taken) records nothing, and so overwrites nothing. A row
# names its worker (leased_by) only while it is leased.
MARK_SENT = """
UPDATE deliveries d
SET status = 'sent', sent_at = sent.at, provider_id = sent.provider_id, lease_until = NULL,
    leased_by = NULL, last_error = NULL
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[])
     AS sent(id, attempt, provider_id, at)
WHERE d.id = sent.id AND d.status = 'sending' AND d.attempts = sent.attempt
RETURNING d.id
"""


async def mark_sent(
    conn: Connection, sent: list[tuple[UUID, int, str | None, datetime]]
) -> set[UUID] | None:
    """Record many sends at once, given (delivery, attempt, provider id, when); returns those
    recorded, or None (and nothing recorded) when one's provider id is another delivery's."""
    columns = [list(column) for column in zip(*sent, strict=True)]
    try:
        return {row["id"] for row in await conn.fetch(MARK_SENT, *columns)}
    except asyncpg.UniqueViolationError:
        return None


# A row claimed but never tried (its worker had no free sending slot in time) goes back to
# waiting, due at once, its attempt uncounted. Being no longer 'sending', it cannot match a
# record fenced by the attempt number it had before this claim.
HAND_BACK = """
UPDATE deliveries d
SET status = CASE WHEN d.attempts > 1 THEN 'retry' ELSE 'pending' END,
    attempts = d.attempts - 1, lease_until = NULL, leased_by = NULL, next_attempt_at = $3,
    last_error = coalesce($4, d.last_error)
FROM unnest($1::uuid[], $2::int[]) AS untried(id, attempt)
WHERE d.id = untried.id AND d.status = 'sending' AND d.attempts = untried.attempt
"""


async def hand_back(
    conn: Connection,
    untried: list[tuple[UUID, int]],
    not_before: datetime,
    reason: str | None = None,
) -> None:
    ids, attempts = (list(column) for column in zip(*untried, strict=True))
    await conn.execute(HAND_BACK, ids, attempts, not_before, reason)


# Retry and ambiguous rows wait for next_attempt_at; the worker also rings for them itself.
MARK_WAITING = """
UPDATE deliveries
SET status = $3, next_attempt_at = $4, lease_until = NULL, leased_by = NULL, last_error = $5
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def mark_waiting(
    conn: Connection, delivery_id: UUID, attempt: int, status: str, until: datetime, error: str
) -> bool:
    waiting = await conn.fetchval(MARK_WAITING, delivery_id, attempt, status, until, error)
    return waiting is not None


MARK_FAILED = """
UPDATE deliveries SET status = 'failed', lease_until = NULL, leased_by = NULL, last_error = $3
WHERE id = $1 AND status = 'sending' AND attempts = $2
RETURNING id
"""


async def mark_failed(conn: Connection, delivery_id: UUID, attempt: int, error: str) -> bool:
    return await conn.fetchval(MARK_FAILED, delivery_id, attempt, error) is not None


# Overdue: due longer than `grace` ago (a fresh row's own doorbell has had its chance), or
# sending under an expired lease; leaving out what the claim would refuse (a paused action's
# letters, a switched-off endpoint's webhooks), which would otherwise be rung for every round.
SELECT_OVERDUE = """
SELECT id, attempts FROM deliveries d
WHERE ((status IN ('pending', 'retry', 'ambiguous')
        AND next_attempt_at <= $3::timestamptz - $1::interval)
       OR (status = 'sending' AND lease_until < $3))
  AND NOT (kind IN ('appeal', 'digest', 'network_alert')
           AND EXISTS (SELECT 1 FROM actions a WHERE a.id = d.action_id AND a.delivery_paused))
  AND NOT (kind = 'webhook'
           AND EXISTS (SELECT 1 FROM webhook_endpoints e
                       WHERE e.id = d.webhook_endpoint_id AND NOT e.enabled))
ORDER BY next_attempt_at
LIMIT $2
"""


async def list_overdue(
    conn: Connection, grace: timedelta, limit: int, now: datetime
) -> list[DueDelivery]:
    return [
        DueDelivery(row["id"], row["attempts"])
        for row in await conn.fetch(SELECT_OVERDUE, grace, limit, now)
    ]


# What providers report later. Each applies only where it still makes sense, so a late or
# repeated report changes nothing it should not.
MARK_DELIVERED = """
UPDATE deliveries
SET status = 'delivered', delivered_at = $2, provider_id = coalesce(provider_id, $3),
    lease_until = NULL, leased_by = NULL
WHERE id = $1 AND status IN ('sending', 'retry', 'ambiguous', 'sent')
RETURNING id
"""


async def mark_delivered(
    conn: Connection, delivery_id: UUID, at: datetime, provider_id: str | None
) -> bool:
    return await conn.fetchval(MARK_DELIVERED, delivery_id, at, provider_id) is not None


# A report that the provider accepted an ambiguous send settles it: it went out.
MARK_ACCEPTED = """
UPDATE deliveries
SET status = 'sent', sent_at = coalesce(sent_at, $2), provider_id = coalesce(provider_id, $3),
    lease_until = NULL, leased_by = NULL
WHERE id = $1 AND status IN ('retry', 'ambiguous')
RETURNING id
"""


async def mark_accepted(
    conn: Connection, delivery_id: UUID, at: datetime, provider_id: str | None
) -> bool:
    return await conn.fetchval(MARK_ACCEPTED, delivery_id, at, provider_id) is not None


# Returned by the recipient's side after we sent it: failed (a text) or bounced (an email).
MARK_RETURNED = """
UPDATE deliveries SET status = $2, last_error = $3, lease_until = NULL, leased_by = NULL
WHERE id = $1 AND status IN ('sending', 'retry', 'ambiguous', 'sent', 'delivered')
RETURNING contact_id
"""


async def mark_returned(
    conn: Connection, delivery_id: UUID, status: str, error: str
) -> tuple[bool, int | None]:
    """(marked, the contact it was sent to)."""
    row = await conn.fetchrow(MARK_RETURNED, delivery_id, status, error)
    return (row is not None, row["contact_id"] if row is not None else None)


SELECT_CONTEXT = """
SELECT a.case_id, d.action_id, d.target_id
FROM deliveries d JOIN actions a ON a.id = d.action_id
WHERE d.id = $1
"""


async def get_case_context(
    conn: Connection, delivery_id: UUID
) -> tuple[int, int, int | None] | None:
    """(case, action, target) a delivery belongs to; None for one that is no appeal."""
    row = await conn.fetchrow(SELECT_CONTEXT, delivery_id)
    return None if row is None else (row["case_id"], row["action_id"], row["target_id"])


# The case an official's text answers: the last appeal sent to that number.
SELECT_LAST_APPEAL_TO = """
SELECT a.case_id, d.action_id
FROM deliveries d JOIN actions a ON a.id = d.action_id
WHERE d.contact_id = $1 AND d.status IN ('sent', 'delivered')
ORDER BY d.sent_at DESC NULLS LAST
LIMIT 1
"""


async def get_last_appeal_to(conn: Connection, contact_id: int) -> tuple[int, int] | None:
    """(case, action) of the last appeal that went to this address."""
    row = await conn.fetchrow(SELECT_LAST_APPEAL_TO, contact_id)
    return None if row is None else (row["case_id"], row["action_id"])
