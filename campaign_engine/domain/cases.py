"""Reading cases for the public."""

from __future__ import annotations

from campaign_engine.db import cases
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import CaseNotFound
from campaign_engine.models import CaseAction, CasePage


async def read_case_page(pool: Pool, slug: str, locale: str) -> tuple[CasePage, list[CaseAction]]:
    async with pool.acquire() as conn:
        case = await cases.get_case_page(conn, slug, locale)
        if case is None:
            raise CaseNotFound
        return case, await cases.list_case_actions(conn, case.id, locale)
