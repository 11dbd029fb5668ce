"""What OSDI reads of actions: the public ones as petitions, a page at a time (OSDI pages
by number, so these are offset pages), each in the reader's language when it is published."""

from __future__ import annotations

from campaign_engine.db.campaigns.actions import CONFIRMED
from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.integrations import OsdiPetition

# A petition is an action with a public page: open, closed or archived, with a published
# translation. Its text is in $1 when published, else the action's default language, else
# the first published one.
_PETITIONS = f"""
SELECT a.slug, t.locale, t.title, t.summary, t.letter_body, a.created_at,
       greatest(a.updated_at, t.updated_at) AS modified_at,
       {CONFIRMED} AS confirmed,
       coalesce((SELECT array_agg(DISTINCT g.name ORDER BY g.name) FROM action_targets at
                 JOIN targets g ON g.id = at.target_id WHERE at.action_id = a.id),
                '{{}}') AS targets
FROM actions a
JOIN LATERAL (
    SELECT * FROM action_translations t
    WHERE t.action_id = a.id AND t.published
    ORDER BY t.locale = $1 DESC, t.locale = a.default_locale DESC, t.locale
    LIMIT 1
) t ON true
WHERE a.status IN ('open', 'closed', 'archived')
"""

SELECT_PETITIONS_PAGE = _PETITIONS + "ORDER BY a.id OFFSET $2 LIMIT $3"


async def list_petitions_page(
    conn: Connection, locale: str, offset: int, limit: int
) -> list[OsdiPetition]:
    rows = await conn.fetch(SELECT_PETITIONS_PAGE, locale, offset, limit)
    return [from_row(OsdiPetition, row, targets=tuple(row["targets"])) for row in rows]


COUNT_PETITIONS = """
SELECT count(*) FROM actions a
WHERE a.status IN ('open', 'closed', 'archived')
  AND EXISTS (SELECT 1 FROM action_translations t WHERE t.action_id = a.id AND t.published)
"""


async def count_petitions(conn: Connection) -> int:
    total: int = await conn.fetchval(COUNT_PETITIONS)
    return total


SELECT_PETITION = _PETITIONS + "AND a.slug = $2"


async def get_petition(conn: Connection, locale: str, slug: str) -> OsdiPetition | None:
    row = await conn.fetchrow(SELECT_PETITION, locale, slug)
    return from_row(OsdiPetition, row, targets=tuple(row["targets"])) if row else None
