"""What the authenticated API v1 reads of actions and cases, a page at a time, in id order
(keyset pagination: `after` is the last id the previous page gave)."""

from __future__ import annotations

from campaign_engine.db.pool import Connection
from campaign_engine.models.integrations import ApiAction, ApiCase

# Every action, whatever its status; counts are the public endpoint's business.
SELECT_ACTIONS_PAGE = """
SELECT a.id, a.slug, a.code, a.status, c.slug AS case_slug, a.default_locale, a.deadline,
       a.goal, a.created_at,
       coalesce(array_agg(t.locale ORDER BY t.locale) FILTER (WHERE t.locale IS NOT NULL),
                '{}') AS locales,
       coalesce(array_agg(t.locale ORDER BY t.locale) FILTER (WHERE t.published), '{}')
           AS published_locales
FROM actions a
JOIN cases c ON c.id = a.case_id
LEFT JOIN action_translations t ON t.action_id = a.id
WHERE a.id > $1
GROUP BY a.id, c.slug
ORDER BY a.id
LIMIT $2
"""


async def list_actions_page(conn: Connection, after: int, limit: int) -> list[ApiAction]:
    rows = await conn.fetch(SELECT_ACTIONS_PAGE, after, limit)
    return [
        ApiAction(
            **{
                **dict(row.items()),
                "locales": tuple(row["locales"]),
                "published_locales": tuple(row["published_locales"]),
            }
        )
        for row in rows
    ]


SELECT_CASES_PAGE = """
SELECT c.id, c.slug, c.country, c.risk_category, c.status, c.default_locale, c.created_at,
       coalesce(array_agg(t.locale ORDER BY t.locale) FILTER (WHERE t.locale IS NOT NULL),
                '{}') AS locales
FROM cases c
LEFT JOIN case_translations t ON t.case_id = c.id
WHERE c.id > $1
GROUP BY c.id
ORDER BY c.id
LIMIT $2
"""


async def list_cases_page(conn: Connection, after: int, limit: int) -> list[ApiCase]:
    """The cases, without their events (the domain adds each one's public timeline)."""
    rows = await conn.fetch(SELECT_CASES_PAGE, after, limit)
    return [
        ApiCase(
            **{**dict(row.items()), "country": row["country"], "locales": tuple(row["locales"])},
            events=(),
        )
        for row in rows
    ]


SELECT_ACTION_EXISTS = "SELECT EXISTS (SELECT 1 FROM actions WHERE slug = $1)"


async def action_exists(conn: Connection, slug: str) -> bool:
    """Whatever its status: the organisation reads its drafts and removed actions too."""
    exists: bool = await conn.fetchval(SELECT_ACTION_EXISTS, slug)
    return exists
