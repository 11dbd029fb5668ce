"""Webhooks: endpoints, the events told to them (fanned out into the outbox), and the log of
every attempt to post one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from campaign_engine.db.pool import Connection
from campaign_engine.models.integrations import (
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEventType,
    WebhookMessage,
)

# --- Telling an event -----------------------------------------------------------------------

# The tail every event shares, after a `facts (payload, partner_id)` of zero or one row: the
# endpoints subscribed (a partner's only to facts about it, when the event is scoped), the
# event itself (only if someone listens, and once per dedup key), and one delivery per
# endpoint, due at once. $1 type, $2 dedup key, $3 scoped, $4 now (NULL: the database's),
# $5 the subject's id.
_FAN_OUT = """
subscribed AS (
    SELECT e.id FROM webhook_endpoints e, facts f
    WHERE e.enabled AND $1::text = ANY (e.events)
      AND (e.partner_id IS NULL OR NOT $3::boolean OR e.partner_id = f.partner_id)
),
event AS (
    INSERT INTO webhook_events (type, payload, dedup_key, created_at)
    SELECT $1, f.payload, $2::text, coalesce($4::timestamptz, now())
    FROM facts f WHERE EXISTS (SELECT 1 FROM subscribed)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
)
INSERT INTO deliveries
    (dedup_key, kind, channel, webhook_endpoint_id, webhook_event_id, next_attempt_at)
SELECT 'webhook:' || event.id || ':' || subscribed.id, 'webhook', 'webhook', subscribed.id,
       event.id, coalesce($4::timestamptz, now())
FROM event CROSS JOIN subscribed
ON CONFLICT DO NOTHING
RETURNING id
"""

# Ids and public facts only: which action, which country, which partner; never who.
EMIT_SIGNATURE_EVENT = f"""
WITH facts AS (
    SELECT jsonb_build_object(
               'signature_id', s.id, 'action', a.slug, 'country', s.country,
               'partner', p.slug, 'confirmed_at', s.confirmed_at) AS payload,
           s.partner_id
    FROM signatures s JOIN actions a ON a.id = s.action_id
    LEFT JOIN partners p ON p.id = s.partner_id
    WHERE s.id = $5::uuid
),
{_FAN_OUT}"""

EMIT_ACTION_EVENT = f"""
WITH facts AS (
    SELECT jsonb_build_object(
               'action', a.slug, 'code', a.code, 'case', c.slug, 'status', a.status,
               'deadline', a.deadline) AS payload,
           NULL::bigint AS partner_id
    FROM actions a JOIN cases c ON c.id = a.case_id
    WHERE a.id = $5::bigint
),
{_FAN_OUT}"""

# An outcome's source is left out: it may name a lawyer or a relative.
EMIT_OUTCOME_EVENT = f"""
WITH facts AS (
    SELECT jsonb_build_object(
               'case', c.slug, 'event_id', e.id, 'outcome', e.outcome,
               'occurred_at', e.occurred_at) AS payload,
           NULL::bigint AS partner_id
    FROM case_events e JOIN cases c ON c.id = e.case_id
    WHERE e.id = $5::bigint AND e.kind = 'outcome'
),
{_FAN_OUT}"""

EMIT_QUERIES = {
    WebhookEventType.SIGNATURE_CONFIRMED: EMIT_SIGNATURE_EVENT,
    WebhookEventType.ACTION_PUBLISHED: EMIT_ACTION_EVENT,
    WebhookEventType.ACTION_CLOSED: EMIT_ACTION_EVENT,
    WebhookEventType.OUTCOME_RECORDED: EMIT_OUTCOME_EVENT,
}


async def emit_event(
    conn: Connection,
    event_type: WebhookEventType,
    subject_id: UUID | int,
    at: datetime | None,
    *,
    dedup_key: str | None = None,
) -> list[UUID]:
    """Record the event and its deliveries; returns the deliveries' ids (none: nobody
    listens, or the event was told before)."""
    scoped = event_type is WebhookEventType.SIGNATURE_CONFIRMED
    rows = await conn.fetch(
        EMIT_QUERIES[event_type], event_type.value, dedup_key, scoped, at, subject_id
    )
    return [row["id"] for row in rows]


# --- Endpoints --------------------------------------------------------------------------------

_ENDPOINT_COLUMNS = """
e.id, e.partner_id, p.slug AS partner_slug, e.url, e.secret, e.events, e.enabled,
e.disabled_reason, e.consecutive_failures, e.created_at
"""

INSERT_ENDPOINT = """
INSERT INTO webhook_endpoints (partner_id, url, secret, events, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5)
RETURNING id
"""


async def insert_endpoint(
    conn: Connection,
    partner_id: int | None,
    url: str,
    secret: str,
    events: list[WebhookEventType],
    at: datetime,
) -> int:
    endpoint_id: int = await conn.fetchval(
        INSERT_ENDPOINT, partner_id, url, secret, [e.value for e in events], at
    )
    return endpoint_id


UPDATE_ENDPOINT = """
UPDATE webhook_endpoints SET url = $2, events = $3, updated_at = $4 WHERE id = $1
"""


async def update_endpoint(
    conn: Connection, endpoint_id: int, url: str, events: list[WebhookEventType], at: datetime
) -> None:
    await conn.execute(UPDATE_ENDPOINT, endpoint_id, url, [e.value for e in events], at)


SELECT_ENDPOINTS = f"""
SELECT {_ENDPOINT_COLUMNS}
FROM webhook_endpoints e LEFT JOIN partners p ON p.id = e.partner_id
ORDER BY p.slug NULLS FIRST, e.id
"""


async def list_endpoints(conn: Connection) -> list[WebhookEndpoint]:
    return [_endpoint(row) for row in await conn.fetch(SELECT_ENDPOINTS)]


SELECT_ENDPOINT = f"""
SELECT {_ENDPOINT_COLUMNS}
FROM webhook_endpoints e LEFT JOIN partners p ON p.id = e.partner_id
WHERE e.id = $1
"""


async def get_endpoint(conn: Connection, endpoint_id: int) -> WebhookEndpoint | None:
    row = await conn.fetchrow(SELECT_ENDPOINT, endpoint_id)
    return None if row is None else _endpoint(row)


LOCK_ENDPOINT = f"""
SELECT {_ENDPOINT_COLUMNS}
FROM webhook_endpoints e LEFT JOIN partners p ON p.id = e.partner_id
WHERE e.id = $1
FOR UPDATE OF e
"""


async def lock_endpoint(conn: Connection, endpoint_id: int) -> WebhookEndpoint | None:
    row = await conn.fetchrow(LOCK_ENDPOINT, endpoint_id)
    return None if row is None else _endpoint(row)


def _endpoint(row: asyncpg.Record) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row["id"],
        partner_id=row["partner_id"],
        partner_slug=row["partner_slug"],
        url=row["url"],
        secret=row["secret"],
        events=tuple(WebhookEventType(e) for e in row["events"]),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        consecutive_failures=row["consecutive_failures"],
        created_at=row["created_at"],
    )


# Switching on again starts the failure count afresh.
SET_ENABLED = """
UPDATE webhook_endpoints
SET enabled = $2, disabled_reason = CASE WHEN $2 THEN NULL ELSE $3 END,
    consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures END, updated_at = $4
WHERE id = $1
"""


async def set_enabled(
    conn: Connection, endpoint_id: int, enabled: bool, reason: str | None, at: datetime
) -> None:
    await conn.execute(SET_ENABLED, endpoint_id, enabled, reason, at)


REPLACE_SIGNING_KEY = "UPDATE webhook_endpoints SET secret = $2, updated_at = $3 WHERE id = $1"


async def set_secret(conn: Connection, endpoint_id: int, secret: str, at: datetime) -> None:
    await conn.execute(REPLACE_SIGNING_KEY, endpoint_id, secret, at)


# What a disabled endpoint held: every unfinished delivery, due now (one left 'sending' by a
# worker that died while the endpoint was off is taken again once its lease has run out).
RELEASE_HELD = """
UPDATE deliveries SET next_attempt_at = $2
WHERE webhook_endpoint_id = $1 AND kind = 'webhook'
  AND status IN ('pending', 'sending', 'retry', 'ambiguous')
RETURNING id
"""


async def release_held(conn: Connection, endpoint_id: int, at: datetime) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(RELEASE_HELD, endpoint_id, at)]


COUNT_HELD = """
SELECT count(*) FROM deliveries
WHERE webhook_endpoint_id = $1 AND kind = 'webhook'
  AND status IN ('pending', 'sending', 'retry', 'ambiguous')
"""


async def count_unfinished(conn: Connection, endpoint_id: int) -> int:
    count: int = await conn.fetchval(COUNT_HELD, endpoint_id)
    return count


# --- Sending and its log ----------------------------------------------------------------------

SELECT_MESSAGE = """
SELECT d.id AS delivery_id, e.id AS endpoint_id, e.url, e.secret, e.enabled,
       ev.type AS event_type, ev.payload, ev.created_at
FROM deliveries d
JOIN webhook_endpoints e ON e.id = d.webhook_endpoint_id
JOIN webhook_events ev ON ev.id = d.webhook_event_id
WHERE d.id = $1
"""


async def get_message(conn: Connection, delivery_id: UUID) -> WebhookMessage | None:
    row = await conn.fetchrow(SELECT_MESSAGE, delivery_id)
    if row is None:
        return None
    return WebhookMessage(
        delivery_id=row["delivery_id"],
        endpoint_id=row["endpoint_id"],
        url=row["url"],
        secret=row["secret"],
        enabled=row["enabled"],
        event_type=WebhookEventType(row["event_type"]),
        payload=row["payload"],
        created_at=row["created_at"],
    )


INSERT_ATTEMPT = """
INSERT INTO webhook_attempts
    (delivery_id, endpoint_id, attempt, at, status_code, error, duration_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


async def insert_attempt(
    conn: Connection,
    endpoint_id: int,
    attempt: WebhookAttempt,
) -> None:
    await conn.execute(
        INSERT_ATTEMPT,
        attempt.delivery_id,
        endpoint_id,
        attempt.attempt,
        attempt.at,
        attempt.status_code,
        attempt.error,
        attempt.duration_ms,
    )


RESET_FAILURES = """
UPDATE webhook_endpoints SET consecutive_failures = 0
WHERE id = $1 AND consecutive_failures <> 0
"""


async def reset_failures(conn: Connection, endpoint_id: int) -> None:
    await conn.execute(RESET_FAILURES, endpoint_id)


# One more failure in a row; at `threshold`, the endpoint is switched off. Returns whether
# this very failure switched it off.
COUNT_FAILURE = """
UPDATE webhook_endpoints e
SET consecutive_failures = e.consecutive_failures + 1,
    enabled = e.enabled AND e.consecutive_failures + 1 < $2,
    disabled_reason = CASE WHEN e.enabled AND e.consecutive_failures + 1 >= $2 THEN 'failing'
                           ELSE e.disabled_reason END,
    updated_at = CASE WHEN e.enabled AND e.consecutive_failures + 1 >= $2 THEN $3
                      ELSE e.updated_at END
WHERE e.id = $1
RETURNING NOT e.enabled AND e.disabled_reason = 'failing' AND e.consecutive_failures = $2
          AS switched_off
"""


async def count_failure(conn: Connection, endpoint_id: int, threshold: int, at: datetime) -> bool:
    switched_off = await conn.fetchval(COUNT_FAILURE, endpoint_id, threshold, at)
    return bool(switched_off)


SELECT_ATTEMPTS = """
SELECT a.delivery_id, a.attempt, a.at, ev.type AS event_type, a.status_code, a.error,
       a.duration_ms
FROM webhook_attempts a
JOIN deliveries d ON d.id = a.delivery_id
JOIN webhook_events ev ON ev.id = d.webhook_event_id
WHERE a.endpoint_id = $1
ORDER BY a.at DESC, a.id DESC
LIMIT $2
"""


async def list_attempts(conn: Connection, endpoint_id: int, limit: int) -> list[WebhookAttempt]:
    return [
        WebhookAttempt(
            delivery_id=row["delivery_id"],
            attempt=row["attempt"],
            at=row["at"],
            event_type=WebhookEventType(row["event_type"]),
            status_code=row["status_code"],
            error=row["error"],
            duration_ms=row["duration_ms"],
        )
        for row in await conn.fetch(SELECT_ATTEMPTS, endpoint_id, limit)
    ]


# Each endpoint's latest attempt, for the list.
SELECT_LAST_ATTEMPTS = """
SELECT DISTINCT ON (a.endpoint_id) a.endpoint_id, a.delivery_id, a.attempt, a.at,
       ev.type AS event_type, a.status_code, a.error, a.duration_ms
FROM webhook_attempts a
JOIN deliveries d ON d.id = a.delivery_id
JOIN webhook_events ev ON ev.id = d.webhook_event_id
ORDER BY a.endpoint_id, a.at DESC, a.id DESC
"""


async def list_last_attempts(conn: Connection) -> dict[int, WebhookAttempt]:
    return {
        row["endpoint_id"]: WebhookAttempt(
            delivery_id=row["delivery_id"],
            attempt=row["attempt"],
            at=row["at"],
            event_type=WebhookEventType(row["event_type"]),
            status_code=row["status_code"],
            error=row["error"],
            duration_ms=row["duration_ms"],
        )
        for row in await conn.fetch(SELECT_LAST_ATTEMPTS)
    }
