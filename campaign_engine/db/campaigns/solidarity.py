"""What solidarity messages need of their case: the family's language, and whether the family
agrees to a selection on the case page (docs/solidarity.md)."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_engine.db.pool import Connection, from_row


@dataclass(frozen=True)
class Family:
    action_id: int
    action_code: str
    asks_solidarity: bool
    case_id: int
    person: str  # in the case's own language
    family_locale: str | None
    family_consents: bool
    pending: int  # messages waiting for moderation
    approved: int


SELECT_FAMILY = """
SELECT a.id AS action_id, a.code AS action_code, a.asks_solidarity, c.id AS case_id,
       coalesce(ct.person, c.slug) AS person, c.family_locale, c.family_consents,
       (SELECT count(*) FROM solidarity_messages
        WHERE action_id = a.id AND status = 'pending') AS pending,
       (SELECT count(*) FROM solidarity_messages
        WHERE action_id = a.id AND status = 'approved') AS approved
FROM actions a
JOIN cases c ON c.id = a.case_id
LEFT JOIN case_translations ct ON ct.case_id = c.id AND ct.locale = c.default_locale
WHERE a.slug = $1
"""


async def get_family(conn: Connection, slug: str) -> Family | None:
    row = await conn.fetchrow(SELECT_FAMILY, slug)
    return None if row is None else from_row(Family, row)


UPDATE_FAMILY = "UPDATE cases SET family_locale = $2, family_consents = $3 WHERE id = $1"


async def set_family(
    conn: Connection, case_id: int, family_locale: str | None, consents: bool
) -> None:
    await conn.execute(UPDATE_FAMILY, case_id, family_locale, consents)
