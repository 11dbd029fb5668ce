"""Reading cases for the public: the case, its actions, and its published timeline."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.db.campaigns import cases
from campaign_engine.db.pool import Pool
from campaign_engine.domain.errors import CaseNotFound
from campaign_engine.models.campaigns import CaseAction, CaseEventKind, CasePage, TimelineEntry


@dataclass(frozen=True)
class PublicCase:
    page: CasePage
    actions: list[CaseAction]
    timeline: list[TimelineEntry]  # newest first

    @property
    def outcome(self) -> TimelineEntry | None:
        """Where the case stands: the latest outcome published."""
        return next((e for e in self.timeline if e.kind is CaseEventKind.OUTCOME), None)


async def read_case_page(pool: Pool, slug: str, locale: str) -> PublicCase:
    async with pool.acquire() as conn:
        case = await cases.get_case_page(conn, slug, locale)
        if case is None:
            raise CaseNotFound
        return PublicCase(
            case,
            await cases.list_case_actions(conn, case.id, locale),
            await cases.list_public_timeline(conn, case.id, locale),
        )
