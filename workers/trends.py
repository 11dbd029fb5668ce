"""The cron that spots trending clients and email domains (domain/signing/trends.py)."""

from __future__ import annotations

from typing import Any

from campaign_engine.domain.signing.trends import spot_trends
from workers.context import services


async def spot_abuse_trends(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    return await spot_trends(w.pool, w.clock)
