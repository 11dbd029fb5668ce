"""The life of an outbox row: claim, send (by the caller), record; and the sweeper.

Retries belong to PostgreSQL, not to the queue: a row waiting to be retried says when, and the
worker rings the queue for that moment. If the queue forgets (Redis wiped, a job expired), the
sweeper finds the row overdue and rings again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db import deliveries, pacing, supporters, targets
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.domain.office_hours import schedule_of
from campaign_engine.jobs import JobQueue
from campaign_engine.models import (
    Delivery,
    DeliveryStatus,
    SendOutcome,
    SendResult,
    SupporterMessageContext,
)

log = logging.getLogger(__name__)

# Longer than any send may take (the SMTP client gives up after 40 s in all), so a live
# worker keeps its lease; short enough that a dead worker's row moves on within two minutes.
LEASE = timedelta(seconds=60)
# With the backoff below, thirty attempts span about a day: a provider's outage or a surge's
# throttling costs a supporter their email only if it lasts longer than that.
MAX_ATTEMPTS = 30
# A fresh row's own doorbell rang when it was committed; the sweeper waits this long first.
SWEEP_GRACE = timedelta(seconds=15)
SWEEP_BATCH = 500


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with jitter: 30 s, 1 min, 2 min … capped at an hour.

    The random half spreads retries out, so a provider that comes back is not hit by every
    waiting message in the same second.
    """
    ceiling = min(3600.0, 30.0 * 2 ** max(attempt - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


async def claim_delivery(pool: Pool, clock: Clock, delivery_id: UUID) -> Delivery | None:
    """Take a row for sending, or None if it is not ours to send (done, leased, not due, or
    its action paused)."""
    async with pool.acquire() as conn:
        delivery = await deliveries.claim_delivery(conn, delivery_id, LEASE, clock.now())
        if delivery is not None and delivery.attempts > MAX_ATTEMPTS:
            await deliveries.mark_failed(
                conn, delivery.id, delivery.attempts, "gave up after too many attempts"
            )
            return None
    return delivery


async def supporter_message_context(
    pool: Pool, delivery: Delivery
) -> SupporterMessageContext | None:
    """What the email to the signer of this delivery needs, or None if they are gone."""
    if delivery.signature_id is None:
        return None
    async with pool.acquire() as conn:
        return await supporters.get_supporter_message_context(conn, delivery.signature_id)


async def record_send_result(
    pool: Pool,
    queue: JobQueue,
    clock: Clock,
    delivery: Delivery,
    result: SendResult,
    backoff: Callable[[int], timedelta] = retry_delay,
) -> None:
    now, wake_at = clock.now(), None
    async with pool.acquire() as conn:
        if result.outcome is SendOutcome.SENT:
            recorded = await deliveries.mark_sent(
                conn, delivery.id, delivery.attempts, now, result.provider_id
            )
        elif result.outcome is SendOutcome.PERMANENT or delivery.attempts >= MAX_ATTEMPTS:
            recorded = await deliveries.mark_failed(
                conn, delivery.id, delivery.attempts, result.detail
            )
            if recorded and result.address_status and delivery.contact_id is not None:
                await targets.set_contact_status(conn, delivery.contact_id, result.address_status)
            log.warning("delivery %s failed: %s", delivery.id, result.detail)
        else:
            # An ambiguous send is tried again too: an email carries the same Message-ID, so a
            # mailbox that did receive the first shows it once; a text's status callback, if
            # it arrives first, marks it sent and the retry finds nothing to do.
            status = (
                DeliveryStatus.AMBIGUOUS
                if result.outcome is SendOutcome.AMBIGUOUS
                else DeliveryStatus.RETRY
            )
            wake_at = await _next_attempt(conn, delivery, now + backoff(delivery.attempts))
            recorded = await deliveries.mark_waiting(
                conn, delivery.id, delivery.attempts, status, wake_at, result.detail
            )
    if not recorded:
        # Our lease ran out mid-send and another worker took the row: its record stands.
        log.warning("delivery %s attempt %d outlived its lease", delivery.id, delivery.attempts)
    elif wake_at is not None:
        await queue.wake_delivery(delivery.id, delivery.attempts, not_before=wake_at)


async def _next_attempt(conn: Connection, delivery: Delivery, earliest: datetime) -> datetime:
    """When to try again: after the backoff, and for an official, inside their office hours."""
    if delivery.target_id is None:
        return earliest
    office_hours, time_zone = await targets.get_schedule(conn, delivery.target_id)
    return schedule_of(office_hours, time_zone).next_opening(earliest)


async def record_undeliverable(pool: Pool, delivery: Delivery, reason: str) -> None:
    """Nobody to send to (the signature was erased, say): the row is finished."""
    async with pool.acquire() as conn:
        await deliveries.mark_failed(conn, delivery.id, delivery.attempts, reason)


async def wake_overdue_deliveries(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """The sweeper: ring again for every row whose doorbell was lost, and wake any pacer that
    fell asleep with appeals held. Returns how many rows it rang for."""
    async with pool.acquire() as conn:
        overdue = await deliveries.list_overdue(conn, SWEEP_GRACE, SWEEP_BATCH, clock.now())
        await pacing.wake_forgotten_pacers(conn)
    sweep = f"swept-{int(clock.now().timestamp())}"
    for due in overdue:
        await queue.wake_delivery(due.id, due.attempts, round_=sweep)
    if overdue:
        log.info("sweeper woke %d overdue deliveries", len(overdue))
    return len(overdue)
