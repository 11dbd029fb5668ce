"""What the authenticated API v1 reads: actions, cases with their public timelines, and an
action's confirmed signatures (a partner key: only its own opted-in signers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from campaign_engine.db.campaigns import cases
from campaign_engine.db.integrations import api_reads
from campaign_engine.db.personal import signers
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import ActionNotFound
from campaign_engine.models.integrations import ApiAction, ApiCase, ApiKey, ApiSignature

MAX_PAGE = 100


async def list_actions_page(pool: Pool, after: int, limit: int) -> list[ApiAction]:
    async with pool.acquire() as conn:
        return await api_reads.list_actions_page(conn, after, min(limit, MAX_PAGE))


async def list_cases_page(pool: Pool, after: int, limit: int, locale: str) -> list[ApiCase]:
    """Each case with its published timeline (outcomes included) in `locale` or its fallback."""
    async with pool.acquire() as conn:
        page = await api_reads.list_cases_page(conn, after, min(limit, MAX_PAGE))
        return [
            replace(case, events=tuple(await cases.list_public_timeline(conn, case.id, locale)))
            for case in page
        ]


async def list_signatures_page(
    pool: Pool,
    key: ApiKey,
    action_slug: str,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[ApiSignature]:
    """Confirmed signatures of the action. The organisation's key reads them all; a partner's
    key only those credited to the partner whose signers agreed to hear from it."""
    async with pool.acquire() as conn:
        if not await api_reads.action_exists(conn, action_slug):
            raise ActionNotFound
        return await signers.list_api_signatures(
            conn, action_slug, after, key.partner_id, min(limit, MAX_PAGE)
        )
