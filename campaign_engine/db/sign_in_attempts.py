"""Password checks, counted for throttling; nothing here names anyone."""

from __future__ import annotations

from datetime import datetime

from campaign_engine.db.pool import Connection

# An attempt is remembered a day at most: the longest window any limit looks at.
INSERT_ATTEMPT = """
WITH forgotten AS (
    DELETE FROM sign_in_attempts WHERE account_key = $1 AND at < $3::timestamptz - interval '1 day'
)
INSERT INTO sign_in_attempts (account_key, client_key, at) VALUES ($1, $2, $3)
"""


async def insert_attempt(
    conn: Connection, account_key: bytes, client_key: bytes | None, at: datetime
) -> None:
    await conn.execute(INSERT_ATTEMPT, account_key, client_key, at)


COUNT_ATTEMPTS = """
SELECT (SELECT count(*) FROM sign_in_attempts WHERE account_key = $1 AND at >= $3) AS account,
       (SELECT count(*) FROM sign_in_attempts WHERE client_key = $2 AND at >= $3) AS client
"""


async def count_attempts_since(
    conn: Connection, account_key: bytes, client_key: bytes | None, since: datetime
) -> tuple[int, int]:
    """Password checks since a moment: for this address, and from this client."""
    row = await conn.fetchrow(COUNT_ATTEMPTS, account_key, client_key, since)
    assert row is not None
    return int(row["account"]), int(row["client"])


FORGET_ATTEMPTS = "DELETE FROM sign_in_attempts WHERE account_key = $1"


async def forget_attempts(conn: Connection, account_key: bytes) -> None:
    """After a successful sign-in, earlier mistakes no longer count against the account."""
    await conn.execute(FORGET_ATTEMPTS, account_key)
