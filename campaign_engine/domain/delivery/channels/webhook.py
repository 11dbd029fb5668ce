"""Webhooks: an event posted to a partner's endpoint, signed, under the delivery's id (the same
on every retry, so the receiver can drop a repeat); each answer is logged, and an endpoint
that keeps failing is switched off (domain/integrations/webhooks.py)."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.domain.delivery.channels import Channel, register
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.integrations.webhooks import PostRecord, record_post, webhook_body
from campaign_engine.i18n import N_
from campaign_engine.messages.webhook_post import WebhookPost
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendResult
from campaign_engine.models.integrations import WebhookMessage


@dataclass(frozen=True)
class Event:
    message: WebhookMessage
    post: WebhookPost


def write(sending: Sending, delivery: Delivery, message: WebhookMessage) -> Event:
    timestamp = int(sending.clock.now().timestamp())
    body = webhook_body(message)
    return Event(
        message, WebhookPost(message.url, str(delivery.id), timestamp, body, message.secret)
    )


async def carry(sending: Sending, delivery: Delivery, event: Event) -> SendResult:
    outcome = await sending.poster.post(event.post)
    record = PostRecord(outcome.result, outcome.status_code, outcome.duration_ms)
    await record_post(sending.pool, sending.clock, delivery, event.message, record)
    return outcome.result


WEBHOOK = register(
    Channel(
        name="webhook",
        label=N_("Webhook"),
        writers={DeliveryKind.WEBHOOK: write},
        carry=carry,
    )
)
