"""The life of an outbox row: claim, send (by the caller), record; and the sweeper.

Retries belong to PostgreSQL, not to the queue: a row waiting to be retried says when, and the
worker rings the queue for that moment. If the queue forgets (Redis wiped, a job expired), the
sweeper finds the row overdue and rings again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
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

# Longer than a claimed row can take: up to 30 s waiting for a sending slot, then at most 40 s
# for the send itself (workers/deliveries.py), with room to record it. Short enough that a
# dead worker's row moves on within two minutes (the sweeper looks every 15 s).
LEASE = timedelta(seconds=90)
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
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311  # nosec B311 # retry jitter, not a secret


async def claim_deliveries(pool: Pool, clock: Clock, delivery_ids: list[UUID]) -> list[Delivery]:
    """Take rows for sending; those not ours to send (done, leased, not due, or their action
    paused) are left out, and so are those out of attempts, which are failed here."""
    async with pool.acquire() as conn:
        claimed = await deliveries.claim_deliveries(conn, delivery_ids, LEASE, clock.now())
        for spent in (delivery for delivery in claimed if delivery.attempts > MAX_ATTEMPTS):
            await deliveries.mark_failed(
                conn, spent.id, spent.attempts, "gave up after too many attempts"
            )
    return [delivery for delivery in claimed if delivery.attempts <= MAX_ATTEMPTS]


async def claim_delivery(pool: Pool, clock: Clock, delivery_id: UUID) -> Delivery | None:
    claimed = await claim_deliveries(pool, clock, [delivery_id])
    return claimed[0] if claimed else None


async def supporter_message_context(
    pool: Pool, delivery: Delivery
) -> SupporterMessageContext | None:
    """What the email to the signer of this delivery needs, or None if they are gone."""
    if delivery.signature_id is None:
        return None
    async with pool.acquire() as conn:
        return await supporters.get_supporter_message_context(conn, delivery.signature_id)


@dataclass(frozen=True)
class Attempt:
    """What came of one send, and when it ended."""

    delivery: Delivery
    result: SendResult
    at: datetime


async def record_attempts(
    pool: Pool,
    queue: JobQueue,
    attempts: list[Attempt],
    backoff: Callable[[int], timedelta] = retry_delay,
) -> None:
    """Record what came of sends: the sent ones in one statement, the others one by one, then
    ring for those that will be tried again."""
    if not attempts:
        return
    sent = [a for a in attempts if a.result.outcome is SendOutcome.SENT]
    unsent = [a for a in attempts if a.result.outcome is not SendOutcome.SENT]
    overtaken: list[Delivery] = []
    wakes: list[tuple[Delivery, datetime]] = []
    async with pool.acquire() as conn:
        if sent:
            rows = [(a.delivery.id, a.delivery.attempts, a.result.provider_id, a.at) for a in sent]
            recorded = await deliveries.mark_sent(conn, rows)
            overtaken += [a.delivery for a in sent if a.delivery.id not in recorded]
        for attempt in unsent:
            delivery = attempt.delivery
            earliest = attempt.at + backoff(delivery.attempts)
            was_recorded, wake_at = await _record_unsent(conn, delivery, attempt.result, earliest)
            if not was_recorded:
                overtaken.append(delivery)
            elif wake_at is not None:
                wakes.append((delivery, wake_at))
    for delivery in overtaken:
        # Another worker took the row when our lease ran out, or a provider's report (a text
        # delivered) came first: what was recorded stands.
        log.warning("delivery %s attempt %d was recorded before us", delivery.id, delivery.attempts)
    for delivery, wake_at in wakes:
        await queue.wake_delivery(delivery.id, delivery.attempts, not_before=wake_at)


async def _record_unsent(
    conn: Connection, delivery: Delivery, result: SendResult, earliest: datetime
) -> tuple[bool, datetime | None]:
    """Failed for good, or waiting to be tried again (and from when): (recorded, wake at)."""
    if result.outcome is SendOutcome.PERMANENT or delivery.attempts >= MAX_ATTEMPTS:
        recorded = await deliveries.mark_failed(conn, delivery.id, delivery.attempts, result.detail)
        if recorded and result.address_status and delivery.contact_id is not None:
            await targets.set_contact_status(conn, delivery.contact_id, result.address_status)
        log.warning("delivery %s failed: %s", delivery.id, result.detail)
        return recorded, None
    # An ambiguous send is tried again too: an email carries the same Message-ID, so a
    # mailbox that did receive the first shows it once; a text's status callback, if it
    # arrives first, marks it sent and the retry finds nothing to do.
    status = (
        DeliveryStatus.AMBIGUOUS
        if result.outcome is SendOutcome.AMBIGUOUS
        else DeliveryStatus.RETRY
    )
    wake_at = await _next_attempt(conn, delivery, earliest)
    recorded = await deliveries.mark_waiting(
        conn, delivery.id, delivery.attempts, status, wake_at, result.detail
    )
    return recorded, wake_at


async def hand_back(pool: Pool, queue: JobQueue, clock: Clock, untried: list[Delivery]) -> None:
    """Return rows claimed but never tried, their attempt uncounted, and ring for them again."""
    if not untried:
        return
    async with pool.acquire() as conn:
        await deliveries.hand_back(conn, [(d.id, d.attempts) for d in untried], clock.now())
    await queue.wake_deliveries([delivery.id for delivery in untried])


async def hold_until(pool: Pool, held: list[Delivery], moment: datetime, reason: str) -> None:
    """Return rows not to be tried before `moment` (a budget spent for the day), their attempt
    uncounted: waiting costs them none of their attempts. The sweeper rings for them then."""
    if not held:
        return
    async with pool.acquire() as conn:
        await deliveries.hand_back(conn, [(d.id, d.attempts) for d in held], moment, reason)


async def _next_attempt(conn: Connection, delivery: Delivery, earliest: datetime) -> datetime:
    """When to try again: after the backoff, and for an official, inside their office hours."""
    if delivery.target_id is None:
        return earliest
    office_hours, time_zone = await targets.get_schedule(conn, delivery.target_id)
    return schedule_of(office_hours, time_zone).next_opening(earliest)


async def wake_overdue_deliveries(pool: Pool, queue: JobQueue, clock: Clock) -> int:
    """The sweeper: ring again for every row whose doorbell was lost, and wake any pacer that
    fell asleep with appeals held. Returns how many rows it rang for."""
    async with pool.acquire() as conn:
        overdue = await deliveries.list_overdue(conn, SWEEP_GRACE, SWEEP_BATCH, clock.now())
        await pacing.wake_forgotten_pacers(conn)
    await queue.wake_deliveries([due.id for due in overdue])
    if overdue:
        log.info("sweeper woke %d overdue deliveries", len(overdue))
    return len(overdue)
