"""What a case sheet adds to the action page's texts (domain/campaigns/case_sheets.py): when
the action first opened, and the officials it writes to, once each whatever the channels;
and, for a supporter's own letters on paper, each official with the model letter in their
language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.db.pool import Connection
from campaign_engine.models.campaigns import LetterTarget, SheetTarget


def _sheet_targets(among: str) -> str:
    """SQL: the officials whose ids `among` selects, as a case sheet names them (jsonb)."""
    return f"""coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'name', t.name, 'title', t.title, 'organisation', t.organisation,
                      'preferred_locale', t.preferred_locale, 'salutations', t.salutations,
                      'postal_address', t.postal_address)
                  ORDER BY lower(t.name), t.id)
           FROM targets t
           WHERE t.id IN ({among})
       ), '[]')"""


SELECT_SHEET_EXTRAS = f"""
SELECT coalesce(a.opened_at, a.created_at) AS issued_at,
       {_sheet_targets("SELECT target_id FROM action_targets WHERE action_id = a.id")} AS targets,
       {_sheet_targets("SELECT target_id FROM action_copies WHERE action_id = a.id")} AS copies
FROM actions a
WHERE a.id = $1
"""


@dataclass(frozen=True)
class SheetExtras:
    issued_at: datetime  # when the action was issued
    targets: list[SheetTarget]  # the officials it writes to
    copies: list[SheetTarget]  # those it asks supporters to send copies to


async def get_sheet_extras(conn: Connection, action_id: int) -> SheetExtras:
    row = await conn.fetchrow(SELECT_SHEET_EXTRAS, action_id)
    assert row is not None
    return SheetExtras(
        row["issued_at"],
        [SheetTarget(**target) for target in row["targets"]],
        [SheetTarget(**target) for target in row["copies"]],
    )


# The diplomats alone, for a supporter's letters to post (they need no targets' list).
SELECT_COPIES = f"""
SELECT {_sheet_targets("SELECT target_id FROM action_copies WHERE action_id = $1")} AS copies
"""


async def list_copies(conn: Connection, action_id: int) -> list[SheetTarget]:
    return [SheetTarget(**copy) for copy in await conn.fetchval(SELECT_COPIES, action_id)]


def official_letter(action: str, target: str) -> str:
    """SQL for a LATERAL subquery: the action's model letter an official reads, in the first
    language of their chain that is published (their preferred, its base, the action's own),
    as (locale, letter_subject, letter_body). Appeals by email and letters on paper alike."""
    chain = (
        f"ARRAY[{target}.preferred_locale, split_part({target}.preferred_locale, '-', 1), "
        f"{action}.default_locale]"
    )
    return f"""(
    SELECT locale, letter_subject, letter_body FROM action_translations
    WHERE action_id = {action}.id AND published AND locale = ANY({chain})
    ORDER BY array_position({chain}, locale)
    LIMIT 1
)"""


# Each official once, with the model letter in their language.
SELECT_LETTER_TARGETS = f"""
SELECT t.id, t.name, t.title, t.organisation, t.postal_address, t.country, t.preferred_locale,
       t.salutations, letter.locale AS letter_locale, letter.letter_subject,
       letter.letter_body
FROM actions a
JOIN targets t ON t.id IN (SELECT target_id FROM action_targets WHERE action_id = a.id)
JOIN LATERAL {official_letter("a", "t")} letter ON true
WHERE a.id = $1
ORDER BY lower(t.name), t.id
"""


async def list_letter_targets(conn: Connection, action_id: int) -> list[LetterTarget]:
    rows = await conn.fetch(SELECT_LETTER_TARGETS, action_id)
    return [LetterTarget(**dict(row)) for row in rows]
