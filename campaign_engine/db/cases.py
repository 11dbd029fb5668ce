"""Cases as the public site reads them."""

from __future__ import annotations

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models import ActionStatus, CaseAction, CasePage, NewCaseEvent

# A case is public once one of its actions is; its text falls back to the case's own language.
SELECT_CASE_PAGE = """
SELECT c.id, c.slug, c.country, c.status, ct.locale, ct.title, ct.person, ct.summary, ct.body,
       ARRAY(SELECT locale FROM case_translations WHERE case_id = c.id ORDER BY locale)
           AS published_locales
FROM cases c
JOIN LATERAL (
    SELECT * FROM case_translations
    WHERE case_id = c.id AND locale IN ($2, c.default_locale)
    ORDER BY locale = $2 DESC
    LIMIT 1
) ct ON true
WHERE c.slug = $1
  AND EXISTS (SELECT 1 FROM actions
              WHERE case_id = c.id AND status IN ('open', 'closed', 'archived'))
"""


async def get_case_page(conn: Connection, slug: str, locale: str) -> CasePage | None:
    """The case without its actions (see `list_case_actions`)."""
    row = await conn.fetchrow(SELECT_CASE_PAGE, slug, locale)
    if row is None:
        return None
    return from_row(CasePage, row, published_locales=tuple(row["published_locales"]))


# A case's public actions, newest first, each in the requested language or its own.
SELECT_CASE_ACTIONS = """
SELECT a.slug, a.code, a.status, t.locale, t.title
FROM actions a
JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id AND published AND locale IN ($2, a.default_locale)
    ORDER BY locale = $2 DESC
    LIMIT 1
) t ON true
WHERE a.case_id = $1 AND a.status IN ('open', 'closed', 'archived')
ORDER BY a.created_at DESC
"""


async def list_case_actions(conn: Connection, case_id: int, locale: str) -> list[CaseAction]:
    return [
        CaseAction(a["slug"], a["code"], ActionStatus(a["status"]), a["locale"], a["title"])
        for a in await conn.fetch(SELECT_CASE_ACTIONS, case_id, locale)
    ]


# A provider's id for what arrived makes a second delivery of the same webhook a no-op.
INSERT_CASE_EVENT = """
INSERT INTO case_events
    (case_id, kind, occurred_at, channel, target_id, action_id, sender, subject, body, source_ref)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (source_ref) DO NOTHING
RETURNING id
"""


async def insert_case_event(conn: Connection, event: NewCaseEvent) -> bool:
    """False when this event (by its source) was recorded before."""
    inserted = await conn.fetchval(
        INSERT_CASE_EVENT,
        event.case_id,
        event.kind,
        event.occurred_at,
        event.channel,
        event.target_id,
        event.action_id,
        event.sender,
        event.subject,
        event.body,
        event.source_ref,
    )
    return inserted is not None
