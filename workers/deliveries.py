"""Send one outbox row: claim it, write it, hand it over, record what happened."""

from __future__ import annotations

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
from campaign_engine.domain.appeals import appeal_letter
from campaign_engine.domain.deliveries import (
    claim_delivery,
    record_send_result,
    record_undeliverable,
    supporter_message_context,
)
from campaign_engine.domain.digests import digest_letter
from campaign_engine.models import Delivery, DeliveryKind, SendResult
from campaign_engine.supporter_emails import compose_supporter_email
from workers.context import WorkerServices, services

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class Undeliverable(Exception):
    """Nothing can be sent for this row: say why, and finish it."""


async def send_delivery(ctx: dict[str, Any], delivery_id: str) -> None:
    w = services(ctx)
    delivery = await claim_delivery(w.pool, w.clock, UUID(delivery_id))
    if delivery is None:  # sent already, another worker holds it, not due, or paused
        return
    try:
        result = await _send(w, delivery)
    except Undeliverable as reason:
        await record_undeliverable(w.pool, delivery, str(reason))
        return
    await record_send_result(w.pool, w.queue, w.clock, delivery, result, backoff=w.retry_delay)


async def _send(w: WorkerServices, delivery: Delivery) -> SendResult:
    if delivery.kind is DeliveryKind.APPEAL:
        return await _send_appeal(w, delivery)
    if delivery.kind is DeliveryKind.DIGEST:
        return await _send_digest(w, delivery)
    signer = await supporter_message_context(w.pool, delivery)
    if signer is None:
        raise Undeliverable("the signature is no longer held")
    message = _written(compose_supporter_email, w.templates, w.settings, w.tokens, delivery, signer)
    return await w.mailer.send(message)


async def _send_appeal(w: WorkerServices, delivery: Delivery) -> SendResult:
    letter = await appeal_letter(w.pool, delivery)
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
