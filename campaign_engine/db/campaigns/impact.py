"""What the urgent actions achieved, case by case (domain/campaigns/impact.py counts them): for
each case that had an action open, where and what it is about, when its first action opened,
when its first outcome was published and whether any published outcome was an improvement.
Only what the public case pages show is read: published outcomes, opened actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.db.pool import Connection, from_row

# A case counts once one of its actions has opened (a draft is not an action yet; a removed
# one was taken down, and is not shown anywhere). An action opened before its time was kept
# (migration 0035) opened when it was created.
SELECT_CASE_RESULTS = """
SELECT c.id AS case_id, coalesce(c.country, '') AS country, coalesce(r.region, '') AS region,
       c.risk_category, first.opened_at AS first_action_at,
       outcomes.first_outcome_at, coalesce(outcomes.improved, false) AS improved
FROM cases c
JOIN LATERAL (
    SELECT min(coalesce(a.opened_at, a.created_at)) AS opened_at FROM actions a
    WHERE a.case_id = c.id AND a.status IN ('open', 'closed', 'archived')
) first ON first.opened_at IS NOT NULL
LEFT JOIN country_regions r ON r.country = c.country
LEFT JOIN LATERAL (
    SELECT min(e.occurred_at) AS first_outcome_at, bool_or(e.outcome = ANY($1::text[])) AS improved
    FROM case_events e
    WHERE e.case_id = c.id AND e.kind = 'outcome' AND e.published
) outcomes ON true
ORDER BY c.id
"""


@dataclass(frozen=True)
class CaseResult:
    case_id: int
    country: str  # "" when the case is not in one country
    region: str  # UN M.49 sub-region of the country; "" when none
    risk_category: str
    first_action_at: datetime
    first_outcome_at: datetime | None  # None: no outcome published yet
    improved: bool  # one of its published outcomes is an improvement


async def list_case_results(conn: Connection, improvements: list[str]) -> list[CaseResult]:
    """Every case acted on, with `improvements` the outcomes that count as one."""
    return [
        from_row(CaseResult, row) for row in await conn.fetch(SELECT_CASE_RESULTS, improvements)
    ]
