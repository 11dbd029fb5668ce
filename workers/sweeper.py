"""The crons: the sweeper rings again for work the queue lost; the pacer releases appeals;
digests are made when their period ends, and the messages of the day's repeated appeals when it
ends."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.delivery.deliveries import wake_overdue_deliveries
from campaign_engine.domain.delivery.digests import create_due_digests, create_due_repeats
from campaign_engine.domain.delivery.pacing import run_due_pacers
from workers.context import services


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await wake_overdue_deliveries(w.pool, w.queue, w.clock)


async def pace_appeals(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await run_due_pacers(w.pool, w.queue, w.clock)


async def make_digests(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await create_due_digests(w.pool, w.clock) + await create_due_repeats(w.pool, w.clock)
