"""What sending needs, opened once by the worker and handed to every channel: the pool, the
templates, the carriers (mailer, texter, poster), the sending slots."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.sms_budget import SmsPolicy
from campaign_engine.jobs import JobQueue
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings

if TYPE_CHECKING:  # the carriers' shapes; the worker hands in the carriers themselves
    from campaign_engine.senders.email import Mailer
    from campaign_engine.senders.sms import SmsSender
    from campaign_engine.senders.webhooks import WebhookSender


@dataclass(frozen=True)
class Sending:
    """What sending needs, opened once by the worker: the carriers among it."""

    settings: Settings
    pool: Pool
    queue: JobQueue
    templates: MessageTemplates
    tokens: Tokens
    clock: Clock
    mailer: Mailer
    texter: SmsSender
    poster: WebhookSender
    retry_delay: Callable[[int], timedelta]  # attempt number -> how long until the next one
    send_slots: asyncio.Semaphore  # sends in flight at once, across all of this worker's jobs
    start_within: float  # seconds after the claim by which a send must have started
    worker_id: UUID | None = None  # the rows this process claims carry it

    @property
    def sms_policy(self) -> SmsPolicy:
        return SmsPolicy.of(self.settings)
