"""The cron that keeps no personal data longer than it should (domain/privacy/rights.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from campaign_engine.domain.privacy.rights import apply_retention
from workers.context import services


async def keep_retention(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    run = await apply_retention(w.pool, w.clock, timedelta(days=w.settings.retention_days))
    return run.signatures + run.client_keys_forgotten
