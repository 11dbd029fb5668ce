"""Updates to supporters: the job that writes a send's deliveries, and the cron that resumes a
fan-out whose job was lost."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.delivery.mailings import fan_out_mailing, resume_stalled_mailings
from workers.context import services


async def fan_out_update(ctx: dict[str, Any], mailing_id: int) -> int:
    w = services(ctx)
    return await fan_out_mailing(w.pool, w.queue, w.tokens, w.clock, mailing_id)


async def resume_update_fan_outs(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await resume_stalled_mailings(w.pool, w.queue, w.clock)
