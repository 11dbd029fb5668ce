"""What every job shares, opened once when the worker starts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.domain.sms_budget import SmsPolicy
from campaign_engine.emails import MessageTemplates
from campaign_engine.jobs import JobQueue
from campaign_engine.senders.email import Mailer
from campaign_engine.senders.sms import SmsSender
from campaign_engine.senders.webhooks import WebhookSender
from campaign_engine.settings import Settings
from campaign_engine.tokens import Tokens


@dataclass(frozen=True)
class WorkerServices:
    settings: Settings
    pool: Pool
    queue: JobQueue
    mailer: Mailer
    texter: SmsSender
    templates: MessageTemplates
    tokens: Tokens
    clock: Clock
    retry_delay: Callable[[int], timedelta]  # attempt number -> how long until the next one
    send_slots: asyncio.Semaphore  # sends in flight at once, across all of this worker's jobs
    # Webhooks: one HTTP session for the worker's posts, opened on first use.
    webhooks: WebhookSender = field(default_factory=WebhookSender)

    @property
    def sms_policy(self) -> SmsPolicy:
        return SmsPolicy(
            self.settings.sms_countries,
            self.settings.sms_per_number_per_day,
            self.settings.sms_daily_budget,
        )


def services(ctx: dict[str, Any]) -> WorkerServices:
    found: WorkerServices = ctx["services"]
    return found
