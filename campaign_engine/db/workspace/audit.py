"""The audit log: appended to in the transaction of the change it records, never updated."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.workspace import AuditEntry

INSERT_ENTRY = """
INSERT INTO audit_log (staff_id, verb, object_type, object_id, detail, at)
VALUES ($1, $2, $3, $4, $5, $6)
"""


async def insert_entry(
    conn: Connection,
    staff_id: int | None,
    verb: str,
    object_type: str | None,
    object_id: str | None,
    detail: dict[str, object],
    at: datetime,
) -> None:
    await conn.execute(INSERT_ENTRY, staff_id, verb, object_type, object_id, detail, at)


# Newest first, a page at a time: before an entry's id (None: from the newest).
SELECT_ENTRIES = """
SELECT l.id, s.name AS staff_name, l.verb, l.object_type, l.object_id, l.detail, l.at
FROM audit_log l LEFT JOIN staff s ON s.id = l.staff_id
WHERE $1::bigint IS NULL OR l.id < $1
ORDER BY l.id DESC
LIMIT $2
"""


async def list_entries(conn: Connection, before: int | None, limit: int) -> list[AuditEntry]:
    return [from_row(AuditEntry, row) for row in await conn.fetch(SELECT_ENTRIES, before, limit)]
