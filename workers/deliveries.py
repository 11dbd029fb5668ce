"""Send outbox rows a batch at a time: claim them, then the domain's one way to send
(domain/delivery/sending.py) writes, carries and records each."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from campaign_engine.domain.delivery.deliveries import claim_deliveries
from campaign_engine.domain.delivery.sending import send_claimed
from workers.context import services


async def send_deliveries(ctx: dict[str, Any], delivery_ids: list[str]) -> None:
    w = services(ctx)
    ids = [UUID(id_) for id_ in delivery_ids]
    claimed = await claim_deliveries(w.pool, w.clock, ids, holder=w.sending.worker_id)
    if claimed:  # else sent already, held by another worker, not due, or paused
        await send_claimed(w.sending, claimed)
