"""What a case sheet adds to the action page's texts (domain/campaigns/case_sheets.py): when
the action first opened, and the officials it writes to, once each whatever the channels."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection
from campaign_engine.models.campaigns import SheetTarget

SELECT_SHEET_EXTRAS = """
SELECT coalesce(a.opened_at, a.created_at) AS issued_at,
       coalesce((
           SELECT jsonb_agg(jsonb_build_object(
                      'name', t.name, 'title', t.title, 'organisation', t.organisation,
                      'preferred_locale', t.preferred_locale, 'salutations', t.salutations,
                      'postal_address', t.postal_address)
                  ORDER BY lower(t.name), t.id)
           FROM targets t
           WHERE t.id IN (SELECT target_id FROM action_targets WHERE action_id = a.id)
       ), '[]') AS targets
FROM actions a
WHERE a.id = $1
"""


async def get_sheet_extras(conn: Connection, action_id: int) -> tuple[datetime, list[SheetTarget]]:
    """(when the action was issued, the officials it writes to)."""
    row = await conn.fetchrow(SELECT_SHEET_EXTRAS, action_id)
    assert row is not None
    return row["issued_at"], [SheetTarget(**target) for target in row["targets"]]
