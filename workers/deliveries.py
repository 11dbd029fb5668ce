"""Send one outbox row: claim it, write it, hand it over, record what happened."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from campaign_engine.domain.deliveries import (
    claim_delivery,
    record_send_result,
    record_undeliverable,
    supporter_message_context,
)
from campaign_engine.supporter_emails import compose_supporter_email
from workers.context import services

log = logging.getLogger(__name__)


async def send_delivery(ctx: dict[str, Any], delivery_id: str) -> None:
    w = services(ctx)
    delivery = await claim_delivery(w.pool, UUID(delivery_id))
    if delivery is None:  # sent already, or another worker holds it, or not due yet
        return
    signer = await supporter_message_context(w.pool, delivery)
    if signer is None:
        await record_undeliverable(w.pool, delivery, "the signature is no longer held")
        return
    try:
        message = compose_supporter_email(w.email_templates, w.settings, w.tokens, delivery, signer)
    except Exception as error:
        # Writing the same message again would fail the same way: stop, and say so loudly.
        log.exception("could not write delivery %s", delivery.id)
        await record_undeliverable(w.pool, delivery, f"could not write: {type(error).__name__}")
        return
    result = await w.mailer.send(message)
    await record_send_result(w.pool, w.queue, delivery, result, backoff=w.retry_delay)
