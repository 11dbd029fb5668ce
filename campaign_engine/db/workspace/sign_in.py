"""Server-side sessions of the workspace, kept by the hash of their token."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection
from campaign_engine.db.workspace.staff import STAFF_COLUMNS, staff_from
from campaign_engine.models.workspace import StaffSession

INSERT_SESSION = """
INSERT INTO staff_sessions (token_hash, staff_id, verified, created_at, last_seen_at)
VALUES ($1, $2, $3, $4, $4)
"""


async def insert_session(
    conn: Connection, token_hash: bytes, staff_id: int, verified: bool, at: datetime
) -> None:
    await conn.execute(INSERT_SESSION, token_hash, staff_id, verified, at)


# A live session of an enabled account, with the account.
SELECT_SESSION = f"""
SELECT s.token_hash, s.verified, s.created_at, s.last_seen_at, st.*
FROM staff_sessions s
JOIN LATERAL (SELECT {STAFF_COLUMNS} FROM staff WHERE id = s.staff_id) st ON true
WHERE s.token_hash = $1 AND s.ended_at IS NULL AND NOT st.disabled
"""


async def get_session(conn: Connection, token_hash: bytes) -> StaffSession | None:
    row = await conn.fetchrow(SELECT_SESSION, token_hash)
    if row is None:
        return None
    return StaffSession(
        token_hash=row["token_hash"],
        staff=staff_from(row),
        verified=row["verified"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
    )


TOUCH_SESSION = "UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1"


async def touch_session(conn: Connection, token_hash: bytes, at: datetime) -> None:
    await conn.execute(TOUCH_SESSION, token_hash, at)


END_SESSION = """
UPDATE staff_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL
"""


async def end_session(conn: Connection, token_hash: bytes, at: datetime) -> None:
    await conn.execute(END_SESSION, token_hash, at)


# Every session of an account but one (None: all of them).
END_SESSIONS_OF = """
UPDATE staff_sessions SET ended_at = $3
WHERE staff_id = $1 AND ended_at IS NULL AND token_hash IS DISTINCT FROM $2
"""


async def end_sessions_of(
    conn: Connection, staff_id: int, keep: bytes | None, at: datetime
) -> None:
    await conn.execute(END_SESSIONS_OF, staff_id, keep, at)
