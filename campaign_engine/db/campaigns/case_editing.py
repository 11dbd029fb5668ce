"""Cases as the workspace reads and writes them: their settings, their text in each language,
and the actions opened for them. (The public site reads cases through `db/campaigns/cases.py`.)"""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import (
    ActionStatus,
    CaseActionRow,
    CaseListing,
    CaseSettings,
    CaseStatus,
    CaseText,
    Outcome,
)

# Every case, open ones first, each titled in the reader's language, else the case's own, else
# any it has. The latest outcome counts unpublished ones too: the team sees what it knows.
SELECT_CASES = """
SELECT c.id, c.slug, c.country, c.risk_category, c.status, c.updated_at,
       coalesce(t.locale, c.default_locale) AS locale, coalesce(t.title, c.slug) AS title,
       (SELECT e.outcome FROM case_events e
        WHERE e.case_id = c.id AND e.kind = 'outcome'
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS latest_outcome,
       (SELECT count(*) FROM actions a WHERE a.case_id = c.id) AS action_count
FROM cases c
LEFT JOIN LATERAL (
    SELECT locale, title FROM case_translations
    WHERE case_id = c.id
    ORDER BY locale = $1 DESC, locale = c.default_locale DESC, locale
    LIMIT 1
) t ON true
ORDER BY c.status = 'open' DESC, c.updated_at DESC, c.id DESC
"""


async def list_cases(conn: Connection, locale: str) -> list[CaseListing]:
    return [
        from_row(
            CaseListing,
            row,
            status=CaseStatus(row["status"]),
            latest_outcome=Outcome(row["latest_outcome"]) if row["latest_outcome"] else None,
        )
        for row in await conn.fetch(SELECT_CASES, locale)
    ]


SELECT_CASE = """
SELECT id, slug, country, risk_category, status, default_locale, created_at, updated_at
FROM cases WHERE id = $1
"""


async def get_case(conn: Connection, case_id: int) -> CaseSettings | None:
    row = await conn.fetchrow(SELECT_CASE, case_id)
    return None if row is None else from_row(CaseSettings, row, status=CaseStatus(row["status"]))


# Taken under a row lock by the verbs that change a case, so two campaigners saving at once
# are applied one after the other.
SELECT_CASE_FOR_UPDATE = f"{SELECT_CASE} FOR UPDATE"


async def lock_case(conn: Connection, case_id: int) -> CaseSettings | None:
    row = await conn.fetchrow(SELECT_CASE_FOR_UPDATE, case_id)
    return None if row is None else from_row(CaseSettings, row, status=CaseStatus(row["status"]))


INSERT_CASE = """
INSERT INTO cases (slug, country, risk_category, status, default_locale, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (slug) DO NOTHING
RETURNING id
"""


async def insert_case(
    conn: Connection,
    *,
    slug: str,
    country: str | None,
    risk_category: str,
    status: CaseStatus,
    default_locale: str,
    at: datetime,
) -> int | None:
    """The new case's id, or None if the slug is taken."""
    case_id: int | None = await conn.fetchval(
        INSERT_CASE, slug, country, risk_category, status, default_locale, at
    )
    return case_id


UPDATE_CASE_SETTINGS = """
UPDATE cases
SET country = $2, risk_category = $3, status = $4, default_locale = $5, updated_at = $6
WHERE id = $1
"""


async def update_case_settings(
    conn: Connection,
    case_id: int,
    *,
    country: str | None,
    risk_category: str,
    status: CaseStatus,
    default_locale: str,
    at: datetime,
) -> None:
    await conn.execute(
        UPDATE_CASE_SETTINGS, case_id, country, risk_category, status, default_locale, at
    )


TOUCH_CASE = "UPDATE cases SET updated_at = $2 WHERE id = $1"


async def touch_case(conn: Connection, case_id: int, at: datetime) -> None:
    """Note that something of the case changed (the list shows recently changed cases first)."""
    await conn.execute(TOUCH_CASE, case_id, at)


SELECT_CASE_TEXTS = """
SELECT locale, title, person, summary, body, updated_at
FROM case_translations WHERE case_id = $1 ORDER BY locale
"""


async def list_case_texts(conn: Connection, case_id: int) -> list[CaseText]:
    return [from_row(CaseText, row) for row in await conn.fetch(SELECT_CASE_TEXTS, case_id)]


# A translation is dated when it is saved, even unchanged: saving says "checked against the
# source". The source itself is dated only when its words change, so saving an unchanged form
# does not make every translation look out of date.
UPSERT_CASE_TEXT = """
INSERT INTO case_translations (case_id, locale, title, person, summary, body, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (case_id, locale) DO UPDATE
SET title = EXCLUDED.title, person = EXCLUDED.person, summary = EXCLUDED.summary,
    body = EXCLUDED.body,
    updated_at = CASE
        WHEN NOT $8 OR (case_translations.title, case_translations.person,
                        case_translations.summary, case_translations.body)
                       IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.person,
                                         EXCLUDED.summary, EXCLUDED.body)
        THEN EXCLUDED.updated_at ELSE case_translations.updated_at END
"""


async def upsert_case_text(
    conn: Connection,
    case_id: int,
    locale: str,
    *,
    title: str,
    person: str,
    summary: str,
    body: str,
    at: datetime,
    is_source: bool,
) -> None:
    """Save the case's text in `locale`. `is_source`: it is the case's own language, whose
    date moves only when its words do."""
    await conn.execute(
        UPSERT_CASE_TEXT, case_id, locale, title, person, summary, body, at, is_source
    )


DELETE_CASE_TEXT = "DELETE FROM case_translations WHERE case_id = $1 AND locale = $2 RETURNING 1"


async def delete_case_text(conn: Connection, case_id: int, locale: str) -> bool:
    """Remove a translation (the public page then falls back); whether there was one."""
    return await conn.fetchval(DELETE_CASE_TEXT, case_id, locale) is not None


# Every action of the case, whatever its status, titled in the reader's language or its own.
SELECT_CASE_ACTIONS = """
SELECT a.id, a.slug, a.code, a.status, t.locale, coalesce(t.title, '') AS title
FROM actions a
LEFT JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id
    ORDER BY locale = $2 DESC, locale = a.default_locale DESC, locale
    LIMIT 1
) t ON true
WHERE a.case_id = $1
ORDER BY a.created_at DESC, a.id DESC
"""


async def list_case_actions(conn: Connection, case_id: int, locale: str) -> list[CaseActionRow]:
    return [
        from_row(CaseActionRow, row, status=ActionStatus(row["status"]))
        for row in await conn.fetch(SELECT_CASE_ACTIONS, case_id, locale)
    ]
