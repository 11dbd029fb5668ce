"""A case's timeline as the workspace reads and writes it: every event, published or not, with
the text campaigners wrote for it in each language. (The public timeline is read by
`db/cases.list_public_timeline`; officials' replies are recorded by `db/cases.insert_case_event`.)
"""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from campaign_engine.db.pool import Connection
from campaign_engine.models.campaigns import CaseEvent, CaseEventKind, EventText, Outcome

EVENT_COLUMNS = """
e.id, e.case_id, e.kind, e.outcome, e.occurred_at, e.source, e.published, e.channel, e.sender,
tg.name AS target_name, e.subject, e.body, s.name AS author, e.updated_at,
EXISTS (SELECT 1 FROM update_mailings m WHERE m.event_id = e.id) AS sent,
ARRAY(SELECT ROW(t.locale, t.title, t.body, t.updated_at) FROM case_event_translations t
      WHERE t.event_id = e.id ORDER BY t.locale) AS texts
FROM case_events e
LEFT JOIN targets tg ON tg.id = e.target_id
LEFT JOIN staff s ON s.id = e.created_by
"""


def event_from(row: Record) -> CaseEvent:
    return CaseEvent(
        id=row["id"],
        case_id=row["case_id"],
        kind=CaseEventKind(row["kind"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        occurred_at=row["occurred_at"],
        source=row["source"],
        published=row["published"],
        channel=row["channel"],
        sender=row["sender"],
        target_name=row["target_name"],
        subject=row["subject"],
        body=row["body"],
        author=row["author"],
        texts=tuple(EventText(*text) for text in row["texts"]),
        updated_at=row["updated_at"],
        sent=row["sent"],
    )


SELECT_CASE_EVENTS = f"""
SELECT {EVENT_COLUMNS}
WHERE e.case_id = $1
ORDER BY e.occurred_at DESC, e.id DESC
"""


async def list_case_events(conn: Connection, case_id: int) -> list[CaseEvent]:
    """The whole timeline, newest first: replies, notes and unpublished events included."""
    return [event_from(row) for row in await conn.fetch(SELECT_CASE_EVENTS, case_id)]


# By case and id together: an event is only ever reached through its own case.
SELECT_CASE_EVENT = f"""
SELECT {EVENT_COLUMNS}
WHERE e.case_id = $1 AND e.id = $2
"""


async def get_case_event(conn: Connection, case_id: int, event_id: int) -> CaseEvent | None:
    row = await conn.fetchrow(SELECT_CASE_EVENT, case_id, event_id)
    return None if row is None else event_from(row)


# `source_ref` makes content loaded from a file (the demo) land once however often it loads.
INSERT_WRITTEN_EVENT = """
INSERT INTO case_events
    (case_id, kind, outcome, occurred_at, source, subject, body, published, created_by,
     source_ref, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
ON CONFLICT (source_ref) DO NOTHING
RETURNING id
"""


async def insert_written_event(
    conn: Connection,
    case_id: int,
    *,
    kind: CaseEventKind,
    outcome: Outcome | None,
    occurred_at: datetime,
    source: str | None,
    subject: str | None,
    body: str | None,
    published: bool,
    created_by: int | None,
    at: datetime,
    source_ref: str | None = None,
) -> int | None:
    """An event a campaigner (or the demo) wrote; its id, or None when `source_ref` was
    recorded before."""
    event_id: int | None = await conn.fetchval(
        INSERT_WRITTEN_EVENT,
        case_id,
        kind,
        outcome,
        occurred_at,
        source,
        subject,
        body,
        published,
        created_by,
        source_ref,
        at,
    )
    return event_id


UPDATE_EVENT = """
UPDATE case_events
SET outcome = $3, occurred_at = $4, source = $5, subject = $6, body = $7, updated_at = $8
WHERE case_id = $1 AND id = $2
"""


async def update_event(
    conn: Connection,
    case_id: int,
    event_id: int,
    *,
    outcome: Outcome | None,
    occurred_at: datetime,
    source: str | None,
    subject: str | None,
    body: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        UPDATE_EVENT, case_id, event_id, outcome, occurred_at, source, subject, body, at
    )


# Notes stay with the team whatever is asked: the database refuses to publish one too.
SET_PUBLISHED = """
UPDATE case_events SET published = $3, updated_at = $4
WHERE case_id = $1 AND id = $2 AND (kind <> 'note' OR NOT $3)
"""


async def set_published(
    conn: Connection, case_id: int, event_id: int, published: bool, at: datetime
) -> None:
    await conn.execute(SET_PUBLISHED, case_id, event_id, published, at)


DELETE_EVENT = "DELETE FROM case_events WHERE case_id = $1 AND id = $2"


async def delete_event(conn: Connection, case_id: int, event_id: int) -> None:
    """Its texts go with it (ON DELETE CASCADE)."""
    await conn.execute(DELETE_EVENT, case_id, event_id)


# As for a case's text: a translation is dated whenever it is saved, the source only when its
# words change.
UPSERT_EVENT_TEXT = """
INSERT INTO case_event_translations (event_id, locale, title, body, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (event_id, locale) DO UPDATE
SET title = EXCLUDED.title, body = EXCLUDED.body,
    updated_at = CASE
        WHEN NOT $6 OR (case_event_translations.title, case_event_translations.body)
                       IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.body)
        THEN EXCLUDED.updated_at ELSE case_event_translations.updated_at END
"""


async def upsert_event_text(
    conn: Connection,
    event_id: int,
    locale: str,
    *,
    title: str,
    body: str,
    at: datetime,
    is_source: bool,
) -> None:
    await conn.execute(UPSERT_EVENT_TEXT, event_id, locale, title, body, at, is_source)


DELETE_EVENT_TEXT = """
DELETE FROM case_event_translations WHERE event_id = $1 AND locale = $2 RETURNING 1
"""


async def delete_event_text(conn: Connection, event_id: int, locale: str) -> bool:
    """Remove a translation (readers then see the case's language); whether there was one."""
    return await conn.fetchval(DELETE_EVENT_TEXT, event_id, locale) is not None
