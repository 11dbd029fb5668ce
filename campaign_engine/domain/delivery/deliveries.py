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
from campaign_engine.db.delivery import deliveries, pacing, workers
from campaign_engine.db.personal import recipients
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.targets import targets
from campaign_engine.domain.targets.office_hours import schedule_of
from campaign_engine.jobs import JobQueue
from campaign_engine.models.delivery import (
    Delivery,
    DeliveryStatus,
    SendOutcome,
    SendResult,
    SupporterMessageContext,
)

log = logging.getLogger(__name__)

# Longer than a claimed row can take: up to 30 s waiting for a sending slot, then at most 40 s
# for the send itself (START_WITHIN_SECONDS in workers/main.py), with room to record it. Short
# enough that a dead worker's row moves on within two minutes (the sweeper looks every 15 s).
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


async def claim_deliveries(
    pool: Pool, clock: Clock, delivery_ids: list[UUID], holder: UUID | None = None
) -> list[Delivery]:
    """Take rows for sending, in the name of the worker `holder`; those not ours to send
    (done, leased, not due, or their action paused) are left out, and so are those out of
    attempts, which are failed here."""
    async with pool.acquire() as conn:
        claimed = await deliveries.claim_deliveries(conn, delivery_ids, LEASE, clock.now(), holder)
        for spent in (delivery for delivery in claimed if delivery.attempts > MAX_ATTEMPTS):
            await deliveries.mark_failed(
                conn, spent.id, spent.attempts, "gave up after too many attempts"
            )
    return [delivery for delivery in claimed if delivery.attempts <= MAX_ATTEMPTS]


async def claim_delivery(pool: Pool, clock: Clock, delivery_id: UUID) -> Delivery | None:
    claimed = await claim_deliveries(pool, clock, [delivery_id])
    return claimed[0] if claimed else None


async def supporter_message_contexts(
    pool: Pool, deliveries: list[Delivery]
) -> dict[UUID, SupporterMessageContext | None]:
    """What the email to the signer of each delivery needs (None if they are gone), read for
    a whole batch at once: a surge's confirmations are claimed by the hundred."""
    signatures = [d.signature_id for d in deliveries if d.signature_id is not None]
    async with pool.acquire() as conn:
        found = await recipients.list_supporter_message_contexts(conn, signatures)
    return {d.id: found.get(d.signature_id) if d.signature_id else None for d in deliveries}


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
            recorded = await _record_sent(conn, sent)
            overtaken += [a.delivery for a in sent if a.delivery.id not in recorded]
            # A text another delivery adopted meanwhile (the same words to the same number,
            # found at Twilio by that delivery's retry) is that delivery's now: this one is
            # looked for again, and sent again if nothing else of its words is left unclaimed.
            unsent += [
                Attempt(a.delivery, SendResult(SendOutcome.AMBIGUOUS, TAKEN), a.at)
                for a in sent
                if a.delivery.id in recorded and recorded[a.delivery.id] is None
            ]
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


TAKEN = "its text was claimed by another delivery with the same words"


async def _record_sent(conn: Connection, sent: list[Attempt]) -> dict[UUID, bool | None]:
    """Record sends in one statement, or one by one when a provider id in the batch belongs
    to another delivery: {delivery: True recorded, None provider id taken}; the others were
    recorded before us."""
    rows = [(a.delivery.id, a.delivery.attempts, a.result.provider_id, a.at) for a in sent]
    recorded = await deliveries.mark_sent(conn, rows)
    if recorded is not None:
        return dict.fromkeys(recorded, True)
    one_by_one: dict[UUID, bool | None] = {}
    for row in rows:
        alone = await deliveries.mark_sent(conn, [row])
        if alone is None or alone:
            one_by_one[row[0]] = None if alone is None else True
    return one_by_one


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


async def note_text_attempt(pool: Pool, clock: Clock, delivery: Delivery) -> bool:
    """Write down, before calling Twilio, that this row's text is being handed over now; False
    when the row is no longer ours to send (another worker took it), and nothing may go."""
    async with pool.acquire() as conn:
        return await deliveries.note_text_attempt(conn, delivery.id, delivery.attempts, clock.now())


async def adopt_found_text(pool: Pool, delivery: Delivery, found: list[str]) -> str | None:
    """Of the texts Twilio holds with this row's words (oldest first), the first that no
    other delivery holds becomes this row's; None when none is left: the text never went."""
    async with pool.acquire() as conn:
        for provider_id in found:
            adopted = await deliveries.adopt_text(conn, delivery.id, delivery.attempts, provider_id)
            # Adopted; or the row is another attempt's now, and this one records nothing.
            if adopted is not None:
                return provider_id
    return None


# Worker presence (db/delivery/workers.py): a worker beats every HEARTBEAT on a connection of
# its own, holding its lock there. One whose lock is free and that has not beaten for DEAD_AFTER is
# dead, and the rows it held are taken back: seconds after a crash, not a LEASE later.
HEARTBEAT = timedelta(seconds=1)
DEAD_AFTER = timedelta(seconds=5)
# A PostgreSQL restart frees every worker's lock at once, and their beats stop while it is
# down: nobody is taken for dead until the server has been up this long and they are back.
RESTART_GRACE = timedelta(seconds=10)


async def enlist_worker(database_url: str, worker_id: UUID, host: str, pid: int) -> Connection:
    """Open the worker's own connection, and register the worker and take its lock there. The
    worker keeps the connection while it lives: closing it, or dying, frees the lock."""
    conn = await workers.connect(database_url)
    await _register(conn, worker_id, host, pid)
    return conn


async def _register(conn: Connection, worker_id: UUID, host: str, pid: int) -> None:
    lock_key = await workers.enlist_worker(conn, worker_id, host, pid)
    if not await workers.take_worker_lock(conn, lock_key):
        log.warning("worker %s could not take its lock; it lives by its beat alone", worker_id)


async def keep_alive(conn: Connection, worker_id: UUID, host: str, pid: int) -> None:
    """Beat; a worker found missing (taken for dead while it was cut off) registers again.
    Its rows were taken back then: its records of them are refused, and it can no longer
    note, and so send, a text of them (an email goes again under its Message-ID)."""
    if not await workers.beat(conn, worker_id):
        log.warning("worker %s was taken for dead; registering again", worker_id)
        await _register(conn, worker_id, host, pid)


async def retire_worker(conn: Connection, worker_id: UUID) -> None:
    """A worker that stops cleanly leaves: whatever it still held is taken back at once."""
    await workers.retire_worker(conn, worker_id)


async def reclaim_from_dead_workers(conn: Connection, queue: JobQueue, clock: Clock) -> int:
    """Take back the rows dead workers held: ambiguous, due now (a text among them is looked
    for at Twilio before it is sent again), and rung for. Returns how many."""
    async with conn.transaction():
        taken = await workers.reclaim_from_dead_workers(
            conn, DEAD_AFTER, RESTART_GRACE, clock.now()
        )
        await workers.forget_dead_workers(conn, DEAD_AFTER, RESTART_GRACE)
    if taken:
        log.warning("took back %d deliveries from workers that stopped", len(taken))
        await queue.wake_deliveries(taken)
    return len(taken)
