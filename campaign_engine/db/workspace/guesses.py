"""Guesses at a password or a second factor's code, counted for throttling; nothing here names
anyone: an account is a keyed hash of the address typed (or of `second-factor:<id>`), a client
a keyed hash of its network address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaign_engine.db.pool import Connection

# Guesses at one account are counted one at a time: two requests from one client cannot both
# read "one guess left" and both guess. (Namespaced so no other advisory lock can collide.)
LOCK_ACCOUNT = """
SELECT pg_advisory_xact_lock(hashtextextended(encode($1::bytea, 'hex'), 7411))
"""


async def lock_account(conn: Connection, account_key: bytes) -> None:
    """Until the transaction ends, nobody else counts or records a guess at this account."""
    await conn.execute(LOCK_ACCOUNT, account_key)


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


@dataclass(frozen=True)
class Guesses:
    by_pair: int  # from this client at this account, since `pair_since`
    pair_last: datetime | None  # the latest of those
    by_account: int  # at this account from anywhere, since `since`
    by_client: int  # from this client at any account, since `since`


COUNT_GUESSES = """
SELECT (SELECT count(*) FROM sign_in_attempts
        WHERE account_key = $1 AND client_key IS NOT DISTINCT FROM $2 AND at >= $4) AS by_pair,
       (SELECT max(at) FROM sign_in_attempts
        WHERE account_key = $1 AND client_key IS NOT DISTINCT FROM $2 AND at >= $4) AS pair_last,
       (SELECT count(*) FROM sign_in_attempts WHERE account_key = $1 AND at >= $3) AS by_account,
       (SELECT count(*) FROM sign_in_attempts WHERE client_key = $2 AND at >= $3) AS by_client
"""


async def count_guesses(
    conn: Connection,
    account_key: bytes,
    client_key: bytes | None,
    since: datetime,
    pair_since: datetime,
) -> Guesses:
    row = await conn.fetchrow(COUNT_GUESSES, account_key, client_key, since, pair_since)
    assert row is not None
    return Guesses(
        int(row["by_pair"]), row["pair_last"], int(row["by_account"]), int(row["by_client"])
    )


FORGET_PAIR = """
DELETE FROM sign_in_attempts WHERE account_key = $1 AND client_key IS NOT DISTINCT FROM $2
"""


async def forget_pair(conn: Connection, account_key: bytes, client_key: bytes | None) -> None:
    """After a right guess, this client's earlier mistakes at this account stop counting;
    everyone else's still count against the account."""
    await conn.execute(FORGET_PAIR, account_key, client_key)
