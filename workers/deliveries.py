"""Send outbox rows a batch at a time: claim them, write them, hand them over, record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from campaign_engine.domain.delivery.appeals import AppealLetter, appeal_letters
from campaign_engine.domain.delivery.deliveries import (
    LEASE,
    Attempt,
    adopt_found_text,
    claim_deliveries,
    hand_back,
    hold_until,
    note_text_attempt,
    record_attempts,
    supporter_message_context,
)
from campaign_engine.domain.delivery.digests import DigestLetter, digest_letter
from campaign_engine.domain.delivery.mailings import UpdateMessage, update_messages
from campaign_engine.domain.delivery.sms_budget import Held, give_back_slot, take_slot
from campaign_engine.domain.integrations.webhooks import (
    PostRecord,
    record_post,
    webhook_body,
    webhook_message,
)
from campaign_engine.domain.privacy.rights import link_recipient
from campaign_engine.messages.appeals import (
    compose_appeal_email,
    compose_appeal_sms,
    compose_digest_email,
    compose_digest_sms,
)
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.messages.supporter_emails import (
    compose_privacy_link_email,
    compose_supporter_email,
)
from campaign_engine.messages.supporter_updates import compose_update_email, compose_update_sms
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendOutcome, SendResult
from campaign_engine.senders.email import SEND_TIMEOUT_SECONDS
from campaign_engine.senders.sms import Sms
from campaign_engine.senders.webhooks import WebhookPost
from campaign_engine.settings import Settings
from workers.context import WorkerServices, services

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
L = TypeVar("L", AppealLetter, DigestLetter)

# A send must end inside its row's lease, or another worker could take the row and send it
# again: a row whose send cannot start this soon after the claim (every slot busy) is handed
# back, and a send ends within SEND_TIMEOUT_SECONDS of its start.
START_WITHIN_SECONDS = LEASE.total_seconds() - SEND_TIMEOUT_SECONDS - 20


class Undeliverable(Exception):
    """Nothing can be sent for this row: say why, and finish it."""


@dataclass(frozen=True)
class Batch:
    """What a claimed batch's messages say, read for all of them at once."""

    letters: dict[UUID, AppealLetter]
    updates: dict[UUID, UpdateMessage | str]  # a string: why it is no longer to be sent


@dataclass(frozen=True)
class NoSlot:
    """A row that got no sending slot in time: it goes back, untried."""

    delivery: Delivery


class NotToday(Exception):
    """The SMS budget holds this text until another day."""

    def __init__(self, held: Held) -> None:
        super().__init__(held.reason)
        self.held = held


@dataclass(frozen=True)
class Waiting:
    """A row the SMS budget holds: it goes back, untried, not to be tried before then."""

    delivery: Delivery
    held: Held


async def send_deliveries(ctx: dict[str, Any], delivery_ids: list[str]) -> None:
    w = services(ctx)
    ids = [UUID(id_) for id_ in delivery_ids]
    claimed = await claim_deliveries(w.pool, w.clock, ids, holder=w.worker_id)
    if not claimed:  # sent already, held by another worker, not due, or paused
        return
    start_by = asyncio.get_running_loop().time() + START_WITHIN_SECONDS
    batch = Batch(
        letters=await appeal_letters(w.pool, _of_kind(claimed, DeliveryKind.APPEAL)),
        updates=await update_messages(
            w.pool, w.tokens, w.settings.public_base_url, _of_kind(claimed, DeliveryKind.UPDATE)
        ),
    )
    sending = {asyncio.create_task(_attempt(w, d, batch, start_by)) for d in claimed}
    try:
        while sending:
            # Sends are recorded as soon as they end, together with all that ended while the
            # last record was written: a worker that dies mid-batch leaves little unrecorded
            # (to be sent again, under the same Message-ID, when the lease runs out).
            ended, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
            # Shielded: a job cut short (shutdown, timeout) still records what it sent.
            await asyncio.shield(_record(w, [task.result() for task in ended]))
    finally:
        for task in sending:  # cut short: what has not ended waits out its lease
            task.cancel()


def _of_kind(deliveries: list[Delivery], kind: DeliveryKind) -> list[Delivery]:
    return [delivery for delivery in deliveries if delivery.kind is kind]


async def _record(w: WorkerServices, ended: list[Attempt | NoSlot | Waiting | None]) -> None:
    attempts = [outcome for outcome in ended if isinstance(outcome, Attempt)]
    await record_attempts(w.pool, w.queue, attempts, backoff=w.retry_delay)
    untried = [outcome.delivery for outcome in ended if isinstance(outcome, NoSlot)]
    await hand_back(w.pool, w.queue, w.clock, untried)
    for outcome in ended:
        if isinstance(outcome, Waiting):
            held = outcome.held
            await hold_until(w.pool, [outcome.delivery], held.until, held.reason)


async def _attempt(
    w: WorkerServices, delivery: Delivery, batch: Batch, start_by: float
) -> Attempt | NoSlot | Waiting | None:
    """Send one row. None when our own code failed: logged, and the row waits out its lease."""
    try:
        async with asyncio.timeout_at(start_by):
            await w.send_slots.acquire()
    except TimeoutError:
        return NoSlot(delivery)
    try:
        result = await _send(w, delivery, batch)
    except Undeliverable as reason:
        result = SendResult(SendOutcome.PERMANENT, str(reason))
    except NotToday as wait:
        return Waiting(delivery, wait.held)
    except Exception:
        log.exception("sending delivery %s failed in our own code", delivery.id)
        return None
    finally:
        w.send_slots.release()
    return Attempt(delivery, result, w.clock.now())


async def _send(w: WorkerServices, delivery: Delivery, batch: Batch) -> SendResult:
    if delivery.kind is DeliveryKind.APPEAL:
        return await _send_appeal(w, delivery, batch.letters.get(delivery.id))
    if delivery.kind is DeliveryKind.DIGEST:
        return await _send_digest(w, delivery)
    if delivery.kind is DeliveryKind.UPDATE:
        return await _send_update(w, delivery, batch.updates.get(delivery.id))
    if delivery.kind is DeliveryKind.WEBHOOK:
        return await _send_webhook(w, delivery)
    if delivery.kind is DeliveryKind.PRIVACY_LINK:
        return await _send_privacy_link(w, delivery)
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
    return await _send_to_official(w, delivery, letter, compose_appeal_sms, compose_appeal_email)


async def _send_digest(w: WorkerServices, delivery: Delivery) -> SendResult:
    letter = await digest_letter(w.pool, delivery)
    if letter is None:
        raise Undeliverable("nobody signed in the period, or no published letter")
    return await _send_to_official(w, delivery, letter, compose_digest_sms, compose_digest_email)


async def _send_update(
    w: WorkerServices, delivery: Delivery, message: UpdateMessage | str | None
) -> SendResult:
    """An update, unless its reader stopped wanting it since the fan-out (asked again here)."""
    if message is None:
        raise Undeliverable("the supporter is no longer held")
    if isinstance(message, str):
        raise Undeliverable(message)
    if delivery.channel == "sms":
        sms = _written(compose_update_sms, w.templates, w.settings, message)
        return await _text(w, delivery, sms, to_supporter=True)
    return await w.mailer.send(_written(compose_update_email, w.templates, w.settings, message))


async def _send_privacy_link(w: WorkerServices, delivery: Delivery) -> SendResult:
    recipient = await link_recipient(w.pool, delivery.id)
    if recipient is None:
        raise Undeliverable("the supporter is no longer held")
    to = (recipient.supporter_id, recipient.email, recipient.locale)
    message = _written(compose_privacy_link_email, w.templates, w.settings, w.tokens, delivery, to)
    return await w.mailer.send(message)


async def _send_webhook(w: WorkerServices, delivery: Delivery) -> SendResult:
    """Post the event, signed, under the delivery's id (the same on every retry, so the
    receiver can drop a repeat), and log what the receiver answered."""
    message = await webhook_message(w.pool, delivery)
    if message is None:
        raise Undeliverable("the endpoint or its event is gone")
    timestamp = int(w.clock.now().timestamp())
    post = WebhookPost(
        message.url, str(delivery.id), timestamp, webhook_body(message), message.secret
    )
    outcome = await w.webhooks.post(post)
    record = PostRecord(outcome.result, outcome.status_code, outcome.duration_ms)
    await record_post(w.pool, w.clock, delivery, message, record)
    return outcome.result


async def _send_to_official(
    w: WorkerServices,
    delivery: Delivery,
    letter: L,
    as_sms: Callable[[MessageTemplates, Settings, L], Sms],
    as_email: Callable[[MessageTemplates, Settings, L], OutgoingEmail],
) -> SendResult:
    if not letter.address_ok:
        raise Undeliverable("the official's address is bouncing or blocked")
    if delivery.channel == "sms":
        sms = _written(as_sms, w.templates, w.settings, letter)
        return await _text(w, delivery, sms, to_supporter=False)
    return await w.mailer.send(_written(as_email, w.templates, w.settings, letter))


LOST_ROW = "another worker holds the row now"


async def _text(
    w: WorkerServices, delivery: Delivery, sms: Sms, *, to_supporter: bool
) -> SendResult:
    """A text sent once: one whose last attempt may have gone is looked for at Twilio first.
    Every text is checked; a supporter's also spends from the budgets
    (domain/delivery/sms_budget.py)."""
    if delivery.text_attempted_at is not None:
        earlier = await _earlier_attempt(w, delivery, sms)
        if earlier is not None:
            return earlier
    checked = await take_slot(
        w.pool, w.clock, w.tokens, w.sms_policy, sms.to, budgeted=to_supporter
    )
    if isinstance(checked, Held):
        raise NotToday(checked)
    if checked is not None:
        return checked
    # Written down before Twilio is called, so a crash or a lost answer leaves a trace.
    noted = await note_text_attempt(w.pool, w.clock, delivery)
    result = await w.texter.send(sms) if noted else SendResult(SendOutcome.TEMPORARY, LOST_ROW)
    if to_supporter and result.outcome in (SendOutcome.TEMPORARY, SendOutcome.PERMANENT):
        await give_back_slot(w.pool, w.clock, w.tokens, sms.to)  # it did not go: nothing spent
    return result


async def _earlier_attempt(w: WorkerServices, delivery: Delivery, sms: Sms) -> SendResult | None:
    """What came of the last attempt, if Twilio has its text (then it is this row's, and
    nothing is sent), or if Twilio cannot say (then the row waits); None: it never went."""
    assert delivery.text_attempted_at is not None
    found = await w.texter.find(sms, delivery.text_attempted_at)
    if found is None:
        return SendResult(SendOutcome.TEMPORARY, "Twilio could not say whether it went")
    adopted = await adopt_found_text(w.pool, delivery, found)
    if adopted is not None:
        return SendResult(SendOutcome.SENT, "found at Twilio", provider_id=adopted)
    return None


def _written(compose: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Writing the same message again would fail the same way: stop, and say so loudly."""
    try:
        return compose(*args, **kwargs)
    except Exception as error:
        log.exception("could not write a message (%s)", type(error).__name__)
        raise Undeliverable(f"could not write: {type(error).__name__}") from error
