"""The sweeper: rings again for outbox rows whose wake-up the queue lost."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.deliveries import wake_overdue_deliveries
from workers.context import services


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await wake_overdue_deliveries(w.pool, w.queue)
