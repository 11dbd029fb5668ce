"""The audit log: who did what, when. Each verb that changes the workspace records itself here,
inside its own transaction, so the log holds exactly what happened."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.workspace import audit
from campaign_engine.models.workspace import AuditEntry

PAGE = 100


async def record(
    conn: Connection,
    actor_id: int | None,
    verb: str,
    at: datetime,
    subject: tuple[str, object] | None = None,
    **detail: object,
) -> None:
    """`verb` is dotted, object first: 'staff.invited', 'action.published'. `detail` never
    holds a supporter's personal data."""
    object_type, object_id = subject if subject else (None, None)
    await audit.insert_entry(
        conn,
        actor_id,
        verb,
        object_type,
        None if object_id is None else str(object_id),
        detail,
        at,
    )


async def read_audit_log(pool: Pool, before: int | None = None) -> list[AuditEntry]:
    async with pool.acquire() as conn:
        return await audit.list_entries(conn, before, PAGE)
