"""Send outbox rows a batch at a time: claim them, write them, hand them over, record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from campaign_engine.appeal_messages import (
    compose_appeal_email,
    compose_appeal_sms,
    compose_digest_email,
    compose_digest_sms,
)
from campaign_engine.domain.appeals import AppealLetter, appeal_letters
from campaign_engine.domain.deliveries import (
    LEASE,
    claim_deliveries,
    hand_back,
    record_send_results,
    supporter_message_context,
)
from campaign_engine.domain.digests import digest_letter
from campaign_engine.models import Delivery, DeliveryKind, SendOutcome, SendResult
from campaign_engine.senders.email import SEND_TIMEOUT_SECONDS
from campaign_engine.supporter_emails import compose_supporter_email
from workers.context import WorkerServices, services

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# A send must end inside its row's lease, or another worker could take the row meanwhile: a
# row whose send cannot start this soon after the claim (every slot busy) is handed back.
START_WITHIN_SECONDS = LEASE.total_seconds() - SEND_TIMEOUT_SECONDS - 5


class Undeliverable(Exception):
    """Nothing can be sent for this row: say why, and finish it."""


async def send_deliveries(ctx: dict[str, Any], delivery_ids: list[str]) -> None:
    w = services(ctx)
    claimed = await claim_deliveries(w.pool, w.clock, [UUID(id_) for id_ in delivery_ids])
    if not claimed:  # sent already, held by another worker, not due, or paused
        return
    start_by = asyncio.get_running_loop().time() + START_WITHIN_SECONDS
    appeals = [delivery for delivery in claimed if delivery.kind is DeliveryKind.APPEAL]
    letters = await appeal_letters(w.pool, appeals)
    outcomes = await asyncio.gather(
        *(_attempt(w, delivery, letters, start_by) for delivery in claimed),
        return_exceptions=True,
    )
    results, untried = [], []
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        if isinstance(outcome, SendResult):
            results.append((delivery, outcome))
        elif outcome is None:
            untried.append(delivery)
        else:  # a bug of ours: the row waits out its lease, then the sweeper tries again
            log.error("delivery %s raised", delivery.id, exc_info=outcome)
    await record_send_results(w.pool, w.queue, w.clock, results, backoff=w.retry_delay)
    await hand_back(w.pool, w.queue, w.clock, untried)


async def _attempt(
    w: WorkerServices, delivery: Delivery, letters: dict[UUID, AppealLetter], start_by: float
) -> SendResult | None:
    """What came of sending one row, or None if it never got a slot in time."""
    try:
        async with asyncio.timeout_at(start_by):
            await w.send_slots.acquire()
    except TimeoutError:
        return None
    try:
        return await _send(w, delivery, letters)
    except Undeliverable as reason:
        return SendResult(SendOutcome.PERMANENT, str(reason))
    finally:
        w.send_slots.release()


async def _send(
    w: WorkerServices, delivery: Delivery, letters: dict[UUID, AppealLetter]
) -> SendResult:
    if delivery.kind is DeliveryKind.APPEAL:
        return await _send_appeal(w, delivery, letters.get(delivery.id))
    if delivery.kind is DeliveryKind.DIGEST:
        return await _send_digest(w, delivery)
    signer = await supporter_message_context(w.pool, delivery)
    if signer is None:
        raise Undeliverable("the signature is no longer held")
    message = _written(compose_supporter_email, w.templates, w.settings, w.tokens, delivery, signer)
    return await w.mailer.send(message)


async def _send_appeal(
    w: WorkerServices, delivery: Delivery, letter: AppealLetter | None
) -> SendResult:
    if letter is None:
        raise Undeliverable("no confirmed signature or no published letter")
    if not letter.address_ok:
        raise Undeliverable("the official's address is bouncing or blocked")
    if delivery.channel == "sms":
        return await w.texter.send(_written(compose_appeal_sms, w.templates, w.settings, letter))
    return await w.mailer.send(_written(compose_appeal_email, w.templates, w.settings, letter))


async def _send_digest(w: WorkerServices, delivery: Delivery) -> SendResult:
    letter = await digest_letter(w.pool, delivery)
    if letter is None:
        raise Undeliverable("nobody signed in the period, or no published letter")
    if not letter.address_ok:
        raise Undeliverable("the official's address is bouncing or blocked")
    if delivery.channel == "sms":
        return await w.texter.send(_written(compose_digest_sms, w.templates, w.settings, letter))
    return await w.mailer.send(_written(compose_digest_email, w.templates, w.settings, letter))


def _written(compose: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Writing the same message again would fail the same way: stop, and say so loudly."""
    try:
        return compose(*args, **kwargs)
    except Exception as error:
        log.exception("could not write a message (%s)", type(error).__name__)
        raise Undeliverable(f"could not write: {type(error).__name__}") from error
