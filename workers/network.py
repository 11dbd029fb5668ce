"""The network's emails: the job that writes an alert's deliveries, the cron that starts the
alerts whose delay has run out, the one that resumes a fan-out whose job was lost, and the one
that makes the week's emails for members who chose one a week."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.network.alerts import (
    fan_out_alert,
    resume_stalled_alerts,
    start_due_alerts,
)
from campaign_engine.domain.network.weekly import make_weekly_emails
from workers.context import services


async def fan_out_network_alert(ctx: dict[str, Any], action_id: int) -> int:
    w = services(ctx)
    return await fan_out_alert(w.pool, w.queue, w.clock, action_id)


async def start_network_alerts(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await start_due_alerts(w.pool, w.queue, w.clock)


async def resume_network_alerts(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await resume_stalled_alerts(w.pool, w.queue, w.clock)


async def make_weekly_network_emails(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await make_weekly_emails(w.pool, w.queue, w.clock)
