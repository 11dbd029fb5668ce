"""Webhooks: tell the organisation's and partners' systems what happened, as signed POSTs.

An event (a signature confirmed, an action published or closed, an outcome recorded) is
written, with one outbox delivery per subscribed endpoint, inside the transaction of the
change it tells; the queue is rung after the commit. From there a webhook is a delivery like
any other: claimed under a lease, retried with the outbox's backoff, found again by the
sweeper. Its payload holds ids and public facts, never a supporter's name or address.

An endpoint that keeps failing is switched off after `DISABLE_AFTER_FAILURES` failed attempts
in a row (across all its deliveries): what it had not received yet is held, not dropped, and
switching it on again releases it.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.integrations import partners, webhooks
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.doorbells import committed_then_rung
from campaign_engine.domain.errors import DomainError
from campaign_engine.domain.workspace import audit
from campaign_engine.jobs import JobQueue
from campaign_engine.messages.webhook_post import SECRET_PREFIX
from campaign_engine.models.delivery import Delivery, SendOutcome, SendResult
from campaign_engine.models.integrations import (
    Partner,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEventType,
    WebhookMessage,
)
from campaign_engine.models.workspace import Staff

log = logging.getLogger(__name__)

# Twenty failed attempts in a row. One delivery alone, with the outbox's backoff (30 s,
# doubling, capped at an hour), takes about ten hours to fail twenty times; a burst of events
# to a receiver that is down gets there sooner, which costs nothing: the rest is held.
DISABLE_AFTER_FAILURES = 20
LOG_LENGTH = 50


class WebhookNotFound(DomainError):
    pass


class WebhookPartnerNotFound(DomainError):
    """The partner chosen for an endpoint does not exist (any more)."""


# --- Telling what happened (inside the caller's transaction) ---------------------------------


async def tell(
    conn: Connection,
    event_type: WebhookEventType,
    subject_id: UUID | int,
    at: datetime | None,
    *,
    once_as: str | None = None,
) -> list[UUID]:
    """Write the event and a delivery for each endpoint subscribed to it; returns the
    deliveries, for the transaction's doorbells (domain/doorbells.py) to ring once it has
    committed. `once_as`: a key under which the event is told only once, however often its
    cause happens. `at` None: the database's clock (the confirmation flow has none)."""
    return await webhooks.emit_event(conn, event_type, subject_id, at, dedup_key=once_as)


# --- Sending (the worker posts; these read and record) ----------------------------------------


async def webhook_message(pool: Pool, delivery: Delivery) -> WebhookMessage | None:
    async with pool.acquire() as conn:
        return await webhooks.get_message(conn, delivery.id)


def webhook_body(message: WebhookMessage) -> bytes:
    """The JSON posted: the event's type, when it happened, and its data."""
    envelope = {
        "type": message.event_type.value,
        "timestamp": message.created_at.isoformat(),
        "data": message.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class PostRecord:
    """One POST, as the receiver answered it."""

    result: SendResult
    status_code: int | None
    duration_ms: int


async def record_post(
    pool: Pool, clock: Clock, delivery: Delivery, message: WebhookMessage, post: PostRecord
) -> None:
    """Log the attempt, and keep the endpoint's count of failures in a row: a success clears
    it, a failure adds one and, at the threshold, switches the endpoint off."""
    now = clock.now()
    attempt = WebhookAttempt(
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        at=now,
        event_type=message.event_type,
        status_code=post.status_code,
        error=None if post.result.outcome is SendOutcome.SENT else post.result.detail,
        duration_ms=post.duration_ms,
    )
    async with pool.acquire() as conn, conn.transaction():
        await webhooks.insert_attempt(conn, message.endpoint_id, attempt)
        if post.result.outcome is SendOutcome.SENT:
            await webhooks.reset_failures(conn, message.endpoint_id)
            return
        threshold = DISABLE_AFTER_FAILURES
        if await webhooks.count_failure(conn, message.endpoint_id, threshold, now):
            await audit.record(
                conn,
                None,
                "webhook.disabled",
                now,
                ("webhook", message.endpoint_id),
                reason="failing",
                failures=threshold,
            )
            log.warning("webhook endpoint %d switched off after failures", message.endpoint_id)


# --- The workspace ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookListing:
    endpoints: list[WebhookEndpoint]
    last_attempts: dict[int, WebhookAttempt]  # endpoint id -> its latest attempt
    partners: list[Partner]  # those an endpoint may belong to


@dataclass(frozen=True)
class WebhookPage:
    endpoint: WebhookEndpoint
    attempts: list[WebhookAttempt]  # newest first
    unfinished: int  # deliveries not yet done (held, while it is switched off)


def new_secret() -> str:
    """`whsec_` and 24 random bytes in base64, the form Standard Webhooks' libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


async def list_webhooks(pool: Pool) -> WebhookListing:
    async with pool.acquire() as conn:
        return WebhookListing(
            endpoints=await webhooks.list_endpoints(conn),
            last_attempts=await webhooks.list_last_attempts(conn),
            partners=[listing.partner for listing in await partners.list_partner_listings(conn)],
        )


async def read_webhook(pool: Pool, endpoint_id: int) -> WebhookPage:
    async with pool.acquire() as conn:
        endpoint = await webhooks.get_endpoint(conn, endpoint_id)
        if endpoint is None:
            raise WebhookNotFound
        return WebhookPage(
            endpoint=endpoint,
            attempts=await webhooks.list_attempts(conn, endpoint_id, LOG_LENGTH),
            unfinished=await webhooks.count_unfinished(conn, endpoint_id),
        )


async def create_webhook(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    partner_id: int | None,
    url: str,
    events: list[WebhookEventType],
) -> int:
    """A new endpoint, switched on, with a fresh secret. `partner_id` None: the organisation's
    own, which hears every signature; a partner's hears only those credited to it."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if partner_id is not None and await partners.get_partner(conn, partner_id) is None:
            raise WebhookPartnerNotFound
        endpoint_id = await webhooks.insert_endpoint(
            conn, partner_id, url, new_secret(), events, now
        )
        # The URL may carry a receiver's token in its query: the log keeps only its host.
        await audit.record(
            conn,
            actor.id,
            "webhook.created",
            now,
            ("webhook", endpoint_id),
            host=urlsplit(url).hostname,
            partner=partner_id,
            events=[event.value for event in events],
        )
    return endpoint_id


async def update_webhook(
    pool: Pool,
    clock: Clock,
    actor: Staff,
    endpoint_id: int,
    url: str,
    events: list[WebhookEventType],
) -> None:
    """Change where an endpoint's events go, or which; deliveries already written keep going
    (to the new address, if it changed)."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        before = await webhooks.lock_endpoint(conn, endpoint_id)
        if before is None:
            raise WebhookNotFound
        changed = [
            name
            for name, changes in (
                ("url", before.url != url),
                ("events", before.events != tuple(events)),
            )
            if changes
        ]
        if not changed:
            return
        await webhooks.update_endpoint(conn, endpoint_id, url, events, now)
        await audit.record(
            conn,
            actor.id,
            "webhook.updated",
            now,
            ("webhook", endpoint_id),
            fields=changed,
            host=urlsplit(url).hostname,
            events=[event.value for event in events],
        )


async def set_webhook_enabled(
    pool: Pool, queue: JobQueue | None, clock: Clock, actor: Staff, endpoint_id: int, on: bool
) -> None:
    """Switch an endpoint off (its deliveries wait) or on again (its failure count starts
    afresh, and what it held goes at once)."""
    now = clock.now()
    async with committed_then_rung(pool, queue) as (conn, doorbells):
        endpoint = await webhooks.lock_endpoint(conn, endpoint_id)
        if endpoint is None:
            raise WebhookNotFound
        if endpoint.enabled == on:
            return
        await webhooks.set_enabled(conn, endpoint_id, on, None if on else "manual", now)
        released = await webhooks.release_held(conn, endpoint_id, now) if on else []
        doorbells.deliveries(released)
        verb = "webhook.enabled" if on else "webhook.disabled"
        detail = {"released": len(released)} if on else {"reason": "manual"}
        await audit.record(conn, actor.id, verb, now, ("webhook", endpoint_id), **detail)


async def rotate_webhook_secret(pool: Pool, clock: Clock, actor: Staff, endpoint_id: int) -> None:
    """A new secret: every post from now on is signed with it, retries of old ones included."""
    now = clock.now()
    async with pool.acquire() as conn, conn.transaction():
        if await webhooks.lock_endpoint(conn, endpoint_id) is None:
            raise WebhookNotFound
        await webhooks.set_secret(conn, endpoint_id, new_secret(), now)
        await audit.record(conn, actor.id, "webhook.secret_rotated", now, ("webhook", endpoint_id))
