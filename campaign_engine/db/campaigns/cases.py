"""Cases as the public site reads them."""

from __future__ import annotations

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import (
    ActionStatus,
    CaseAction,
    CaseEventKind,
    CasePage,
    NewCaseEvent,
    Outcome,
    TimelineEntry,
)

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


# What the public reads of a case's story: published events, never notes, newest first, each in
# the reader's language, else the case's own, else any it was written in (the case's language
# may have changed since); a reply as it arrived (or was typed in), in the official's words.
SELECT_PUBLIC_TIMELINE = """
SELECT e.id, e.kind, e.outcome, e.occurred_at, e.source, t.locale,
       coalesce(t.title, e.subject, '') AS title, coalesce(t.body, e.body, '') AS body
FROM case_events e
JOIN cases c ON c.id = e.case_id
LEFT JOIN LATERAL (
    SELECT locale, title, body FROM case_event_translations
    WHERE event_id = e.id AND e.kind <> 'reply'
    ORDER BY locale = $2 DESC, locale = c.default_locale DESC, locale
    LIMIT 1
) t ON true
WHERE e.case_id = $1 AND e.published AND e.kind <> 'note'
ORDER BY e.occurred_at DESC, e.id DESC
"""


async def list_public_timeline(conn: Connection, case_id: int, locale: str) -> list[TimelineEntry]:
    return [
        from_row(
            TimelineEntry,
            row,
            kind=CaseEventKind(row["kind"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        )
        for row in await conn.fetch(SELECT_PUBLIC_TIMELINE, case_id, locale)
    ]
