"""One way to send: claimed outbox rows read, written for their channel, carried, recorded.

What a row needs is decided here, by two registries: its *kind* (MessageKind, below) says
what must be read for it (the appeal's letter, the update, the signer) and why it may no
longer be sent; its *channel* (channels/) says how that kind is written for it and how the
message goes. A kind without a MessageKind is refused when the worker starts
(`check_registries`), never met for the first time at 3 a.m. The worker only claims ids,
calls `send_claimed`, and leaves the recording to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from campaign_engine.db.delivery import channels as stored_channels
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.following import follow_email_recipient
from campaign_engine.domain.delivery.appeals import FOLDED, Folded, appeal_letters
from campaign_engine.domain.delivery.channels import (
    CHANNELS,
    NotToday,
    Undeliverable,
    channel_named,
)
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.deliveries import (
    Attempt,
    hand_back,
    hold_until,
    record_attempts,
    supporter_message_contexts,
)
from campaign_engine.domain.delivery.digests import digest_letter, repeats_letter
from campaign_engine.domain.delivery.mailings import update_messages
from campaign_engine.domain.delivery.sms_budget import Held
from campaign_engine.domain.integrations.webhooks import webhook_message
from campaign_engine.domain.network.alerts import alert_messages
from campaign_engine.domain.network.membership import join_email_recipient
from campaign_engine.domain.network.texts import ask_message, texts_on_message
from campaign_engine.domain.network.weekly import weekly_message
from campaign_engine.domain.privacy.rights import link_recipient
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendOutcome, SendResult
from campaign_engine.models.network import MemberStatus
from campaign_engine.models.signing import SignatureStatus

log = logging.getLogger(__name__)


# --- Kinds: what a row of each kind needs read before it can be written -------------------

# Several rows at once (one query for a batch), or one row at a time (inside its send slot).
ReadMany = Callable[[Sending, list[Delivery]], Awaitable[Mapping[UUID, Any]]]
ReadOne = Callable[[Sending, Delivery], Awaitable[Any]]


@dataclass(frozen=True)
class MessageKind:
    kind: DeliveryKind
    gone: str  # why nothing can be sent when the reading finds nothing
    read_many: ReadMany | None = None
    read_one: ReadOne | None = None


def _letter_or_why(letter: Any) -> Any:
    """An official's letter, unless their address is bouncing or blocked (said as a string)."""
    if letter is not None and not isinstance(letter, Folded) and not letter.address_ok:
        return "the official's address is bouncing or blocked"
    return letter


async def _appeals(sending: Sending, deliveries: list[Delivery]) -> Mapping[UUID, Any]:
    letters = await appeal_letters(
        sending.pool, deliveries, sending.clock.now(), sending.settings.same_appeals_per_day
    )
    return {delivery_id: _letter_or_why(letter) for delivery_id, letter in letters.items()}


async def _updates(sending: Sending, deliveries: list[Delivery]) -> Mapping[UUID, Any]:
    base_url = sending.settings.public_base_url
    return await update_messages(sending.pool, sending.tokens, base_url, deliveries)


async def _alerts(sending: Sending, deliveries: list[Delivery]) -> Mapping[UUID, Any]:
    base_url = sending.settings.public_base_url
    return await alert_messages(sending.pool, sending.tokens, base_url, deliveries)


async def _weekly(sending: Sending, delivery: Delivery) -> Any:
    base_url = sending.settings.public_base_url
    return await weekly_message(sending.pool, sending.tokens, base_url, delivery)


async def _digest(sending: Sending, delivery: Delivery) -> Any:
    return _letter_or_why(await digest_letter(sending.pool, delivery))


async def _repeats(sending: Sending, delivery: Delivery) -> Any:
    return _letter_or_why(await repeats_letter(sending.pool, delivery))


async def _signers(sending: Sending, deliveries: list[Delivery]) -> Mapping[UUID, Any]:
    return await supporter_message_contexts(sending.pool, deliveries)


async def _reminded(sending: Sending, deliveries: list[Delivery]) -> Mapping[UUID, Any]:
    """The signers to remind, unless they confirmed meanwhile or the action closed."""
    signers = await supporter_message_contexts(sending.pool, deliveries)
    return {delivery_id: _still_to_confirm(signer) for delivery_id, signer in signers.items()}


def _still_to_confirm(signer: Any) -> Any:
    if signer is None:
        return None
    if signer.signature_status is not SignatureStatus.PENDING:
        return "the signature was confirmed, or is no longer held"
    if not signer.action_open:
        return "the action no longer takes signatures"
    return signer


async def _link_recipient(sending: Sending, delivery: Delivery) -> Any:
    return await link_recipient(sending.pool, delivery.id)


async def _member(sending: Sending, delivery: Delivery) -> Any:
    recipient = await join_email_recipient(sending.pool, delivery.id)
    if recipient is not None and recipient.status == MemberStatus.LEFT:
        return "they left the network before it went"
    return recipient


async def _follower(sending: Sending, delivery: Delivery) -> Any:
    recipient = await follow_email_recipient(sending.pool, delivery.id)
    if recipient is not None and recipient.status != "pending":
        return "they said yes, or stopped, before it went"
    return recipient


async def _texts_ask(sending: Sending, delivery: Delivery) -> Any:
    return await ask_message(sending.pool, delivery.id)


async def _texts_on(sending: Sending, delivery: Delivery) -> Any:
    return await texts_on_message(sending.pool, delivery.id)


async def _webhook(sending: Sending, delivery: Delivery) -> Any:
    return await webhook_message(sending.pool, delivery)


SIGNATURE_GONE = "the signature is no longer held"
KINDS: dict[DeliveryKind, MessageKind] = {
    kind.kind: kind
    for kind in (
        MessageKind(DeliveryKind.CONFIRMATION, SIGNATURE_GONE, read_many=_signers),
        MessageKind(DeliveryKind.ALREADY_SIGNED, SIGNATURE_GONE, read_many=_signers),
        MessageKind(DeliveryKind.CONFIRMATION_REMINDER, SIGNATURE_GONE, read_many=_reminded),
        MessageKind(
            DeliveryKind.APPEAL,
            "no confirmed signature or no published letter",
            read_many=_appeals,
        ),
        MessageKind(
            DeliveryKind.DIGEST,
            "nobody signed in the period, or no published letter",
            read_one=_digest,
        ),
        MessageKind(
            DeliveryKind.REPEATS,
            "the day's folded appeals are no longer held, or no published letter",
            read_one=_repeats,
        ),
        MessageKind(DeliveryKind.UPDATE, "the supporter is no longer held", read_many=_updates),
        MessageKind(DeliveryKind.WEBHOOK, "the endpoint or its event is gone", read_one=_webhook),
        MessageKind(
            DeliveryKind.PRIVACY_LINK, "the supporter is no longer held", read_one=_link_recipient
        ),
        MessageKind(DeliveryKind.NETWORK_JOIN, "the supporter is no longer held", read_one=_member),
        MessageKind(DeliveryKind.NETWORK_ALERT, "the member is no longer held", read_many=_alerts),
        MessageKind(DeliveryKind.NETWORK_WEEKLY, "the member is no longer held", read_one=_weekly),
        MessageKind(
            DeliveryKind.FOLLOW_CASE, "the supporter is no longer held", read_one=_follower
        ),
        MessageKind(
            DeliveryKind.NETWORK_TEXTS, "the member is no longer held", read_one=_texts_ask
        ),
        MessageKind(
            DeliveryKind.NETWORK_TEXTS_ON, "the member is no longer held", read_one=_texts_on
        ),
    )
}


class IncompleteRegistry(Exception):
    """A kind of message nothing reads, or a channel writing a kind nobody declared."""


async def check_registries(pool: Pool, kinds: Iterable[DeliveryKind] = DeliveryKind) -> None:
    """At start-up: every kind the outbox may hold can be read, every channel writes only
    kinds that exist, and the channels declared here are the ones the database knows (a
    module without its migration, or a migration without its module, could not send).
    Raises IncompleteRegistry, naming what is missing."""
    problems = [f"no MessageKind for {kind.value!r}" for kind in kinds if kind not in KINDS]
    for channel in CHANNELS.values():
        problems += [
            f"the {channel.name!r} channel writes {kind!r}, which no MessageKind reads"
            for kind in channel.writers
            if kind not in KINDS
        ]
    async with pool.acquire() as conn:
        stored = set(await stored_channels.list_channels(conn))
    problems += [f"no migration added the {name!r} channel" for name in CHANNELS.keys() - stored]
    problems += [f"no module declares the {name!r} channel" for name in stored - CHANNELS.keys()]
    if problems:
        raise IncompleteRegistry("; ".join(problems))


# --- Sending a claimed batch ---------------------------------------------------------------


@dataclass(frozen=True)
class NoSlot:
    """A row that got no sending slot in time: it goes back, untried."""

    delivery: Delivery


@dataclass(frozen=True)
class Waiting:
    """A row a budget holds: it goes back, untried, not to be tried before then."""

    delivery: Delivery
    held: Held


Ended = Attempt | NoSlot | Waiting | Folded | None


async def send_claimed(sending: Sending, claimed: list[Delivery]) -> None:
    """Send rows this worker has claimed, and record each as soon as it ends: a worker that
    dies mid-batch leaves little unrecorded (sent again, under the same Message-ID, when the
    lease runs out)."""
    start_by = asyncio.get_running_loop().time() + sending.start_within
    read = await _read_many(sending, claimed)
    attempts = {asyncio.create_task(_attempt(sending, d, read, start_by)) for d in claimed}
    try:
        while attempts:
            ended, attempts = await asyncio.wait(attempts, return_when=asyncio.FIRST_COMPLETED)
            # Shielded: a job cut short (shutdown, timeout) still records what it sent.
            await asyncio.shield(_record(sending, [task.result() for task in ended]))
    finally:
        for task in attempts:  # cut short: what has not ended waits out its lease
            task.cancel()


async def _read_many(sending: Sending, claimed: list[Delivery]) -> dict[UUID, Any]:
    read: dict[UUID, Any] = {}
    for kind in {delivery.kind for delivery in claimed}:
        message_kind = KINDS.get(kind)
        if message_kind is not None and message_kind.read_many is not None:
            of_kind = [delivery for delivery in claimed if delivery.kind is kind]
            read |= await message_kind.read_many(sending, of_kind)
    return read


async def _attempt(
    sending: Sending, delivery: Delivery, read: Mapping[UUID, Any], start_by: float
) -> Ended:
    """Send one row. None when our own code failed: logged, and the row waits out its lease."""
    if isinstance(read.get(delivery.id), Folded):
        return FOLDED  # recorded as it was read: it goes in the day's repeats
    try:
        async with asyncio.timeout_at(start_by):
            await sending.send_slots.acquire()
    except TimeoutError:
        return NoSlot(delivery)
    try:
        result = await deliver(sending, delivery, read.get(delivery.id))
    except Undeliverable as reason:
        result = SendResult(SendOutcome.PERMANENT, str(reason))
    except NotToday as wait:
        return Waiting(delivery, wait.held)
    except Exception:
        log.exception("sending delivery %s failed in our own code", delivery.id)
        return None
    finally:
        sending.send_slots.release()
    return Attempt(delivery, result, sending.clock.now())


async def deliver(sending: Sending, delivery: Delivery, read: Any = None) -> SendResult:
    """One row: what its kind reads (unless read with its batch), written for its channel,
    carried. Undeliverable when nothing can be sent for it, NotToday when a budget holds it."""
    kind = KINDS.get(delivery.kind)
    if kind is None:
        raise Undeliverable(f"no MessageKind for {delivery.kind.value!r}")
    channel = channel_named(delivery.channel)
    write = channel.writers.get(delivery.kind)
    if write is None:
        raise Undeliverable(f"the {channel.name} channel carries no {delivery.kind.value}")
    if kind.read_one is not None:
        read = await kind.read_one(sending, delivery)
    if read is None:
        raise Undeliverable(kind.gone)
    if isinstance(read, str):  # why it is no longer to be sent
        raise Undeliverable(read)
    try:
        message = write(sending, delivery, read)
    except Exception as error:
        # Writing the same message again would fail the same way: stop, and say so loudly.
        log.exception("could not write a message (%s)", type(error).__name__)
        raise Undeliverable(f"could not write: {type(error).__name__}") from error
    return await channel.carry(sending, delivery, message)


async def _record(sending: Sending, ended: list[Ended]) -> None:
    attempts = [outcome for outcome in ended if isinstance(outcome, Attempt)]
    await record_attempts(sending.pool, sending.queue, attempts, backoff=sending.retry_delay)
    untried = [outcome.delivery for outcome in ended if isinstance(outcome, NoSlot)]
    await hand_back(sending.pool, sending.queue, sending.clock, untried)
    for outcome in ended:
        if isinstance(outcome, Waiting):
            held = outcome.held
            await hold_until(sending.pool, [outcome.delivery], held.until, held.reason)
