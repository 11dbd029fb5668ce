"""The crons that keep to a calendar: scheduled actions open at their time, open ones close at
their deadline (domain/action_lifecycle.apply_schedules); a signature still unconfirmed after a
day gets its one reminder (domain/signing/signatures.remind_unconfirmed)."""

from __future__ import annotations

import logging
from typing import Any

from campaign_engine.domain.campaigns.action_lifecycle import apply_schedules
from campaign_engine.domain.signing.signatures import remind_unconfirmed
from workers.context import services

log = logging.getLogger(__name__)


async def apply_action_schedules(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    run = await apply_schedules(w.pool, w.clock, w.queue)
    # Codes only: they are public, and say which action changed without a lookup.
    for code in run.opened:
        log.info("opened %s at its publication time", code)
    for code in run.closed:
        log.info("closed %s at its deadline", code)
    return len(run.opened) + len(run.closed)


async def remind_unconfirmed_signers(ctx: dict[str, Any]) -> int:
    w = services(ctx)
    reminded = await remind_unconfirmed(w.pool, w.queue, w.clock)
    if reminded:
        log.info("reminded %d signers to confirm", reminded)
    return reminded
