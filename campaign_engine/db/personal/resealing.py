"""The data keys' rotation (`campaign-engine keys rotate`): every sealed value resealed under
the newest key, a batch at a time, without a lock."""

from __future__ import annotations

from uuid import UUID

from asyncpg import Record

from campaign_engine.db.personal.sealed import (
    COMMENT,
    EMAIL,
    MEMBER_PHONE,
    NAME,
    PHONE,
    SOLIDARITY,
)
from campaign_engine.db.pool import Connection, sealer_of

# Sealing (sealing.py): what `keys rotate` and migration 0018 do to every sealed value. ------
#
# Rotation takes no lock: nothing but rotation ever rewrites a sealed value (signing inserts,
# erasure and retention delete), so it reads a batch, reseals what is under another key, and
# writes each value back only if it is still the one it read. Rows come in primary-key order
# from where the last batch ended, so each batch is an index range, however big the table.
FIRST = UUID(int=0)

SELECT_SUPPORTERS_AFTER = """
SELECT id, email_sealed FROM supporters WHERE id > $1 ORDER BY id LIMIT $2
"""

UPDATE_SUPPORTER_EMAILS = """
UPDATE supporters p SET email_sealed = x.sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, was)
WHERE p.id = x.id AND p.email_sealed = x.was
"""


async def reseal_supporters(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """Reseal under the sealing key the addresses of the next `limit` supporters after
    `after`: (the last one looked at, None past the end; how many were resealed)."""
    return await _reseal_column(
        conn,
        (SELECT_SUPPORTERS_AFTER, UPDATE_SUPPORTER_EMAILS),
        "id",
        "email_sealed",
        EMAIL,
        after,
        limit,
    )


async def _reseal_column(
    conn: Connection,
    queries: tuple[str, str],
    key: str,
    column: str,
    label: str,
    after: UUID | None,
    limit: int,
) -> tuple[UUID | None, int]:
    """One sealed column of a table, a batch of rows in `key` order: `queries` reads the rows
    after `after` and writes back each value still as it was read."""
    select, update = queries
    sealer = sealer_of(conn)
    rows = await conn.fetch(select, after or FIRST, limit)
    stale = [row for row in rows if not sealer.is_current(row[column])]
    if stale:
        await conn.execute(
            update,
            [row[key] for row in stale],
            [sealer.reseal(row[column], label) for row in stale],
            [row[column] for row in stale],
        )
    return (rows[-1][key] if rows else None), len(stale)


SELECT_SIGNER_DETAILS_AFTER = """
SELECT signature_id, name_sealed, phone_sealed, comment_sealed FROM signer_details
WHERE signature_id > $1 ORDER BY signature_id LIMIT $2
"""

# The three are written together, once, so the name tells whether the row is the one read
# (NULL for a row migration 0018 is sealing for the first time).
UPDATE_SIGNER_DETAILS_SEALED = """
UPDATE signer_details d
SET name_sealed = x.name_sealed, phone_sealed = x.phone_sealed, comment_sealed = x.comment_sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[])
     AS x(signature_id, name_sealed, phone_sealed, comment_sealed, name_was)
WHERE d.signature_id = x.signature_id AND d.name_sealed IS NOT DISTINCT FROM x.name_was
"""

DETAIL_COLUMNS = (("name_sealed", NAME), ("phone_sealed", PHONE), ("comment_sealed", COMMENT))


async def reseal_signer_details(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """As reseal_supporters, for names, phones and messages: (last looked at, rows resealed)."""
    sealer = sealer_of(conn)
    rows = await conn.fetch(SELECT_SIGNER_DETAILS_AFTER, after or FIRST, limit)

    def stale(row: Record) -> bool:
        return any(row[c] is not None and not sealer.is_current(row[c]) for c, _ in DETAIL_COLUMNS)

    def resealed(column: str, label: str) -> list[bytes | None]:
        return [None if r[column] is None else sealer.reseal(r[column], label) for r in found]

    found = [row for row in rows if stale(row)]
    if found:
        await conn.execute(
            UPDATE_SIGNER_DETAILS_SEALED,
            [row["signature_id"] for row in found],
            *(resealed(column, label) for column, label in DETAIL_COLUMNS),
            [row["name_sealed"] for row in found],
        )
    return (rows[-1]["signature_id"] if rows else None), len(found)


SELECT_MEMBER_PHONES_AFTER = """
SELECT supporter_id, phone_sealed FROM members
WHERE supporter_id > $1 AND phone_sealed IS NOT NULL
ORDER BY supporter_id LIMIT $2
"""

UPDATE_MEMBER_PHONES = """
UPDATE members m SET phone_sealed = x.sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, was)
WHERE m.supporter_id = x.id AND m.phone_sealed = x.was
"""


async def reseal_member_phones(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """As reseal_supporters, for members' mobile numbers (alerts by text)."""
    return await _reseal_column(
        conn,
        (SELECT_MEMBER_PHONES_AFTER, UPDATE_MEMBER_PHONES),
        "supporter_id",
        "phone_sealed",
        MEMBER_PHONE,
        after,
        limit,
    )


SELECT_SOLIDARITY_AFTER = """
SELECT signature_id, original_sealed FROM solidarity_messages
WHERE signature_id > $1 AND original_sealed IS NOT NULL ORDER BY signature_id LIMIT $2
"""

UPDATE_SOLIDARITY = """
UPDATE solidarity_messages m SET original_sealed = x.sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, was)
WHERE m.signature_id = x.id AND m.original_sealed = x.was
"""


async def reseal_solidarity_messages(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """As reseal_supporters, for solidarity messages as their writers gave them."""
    return await _reseal_column(
        conn,
        (SELECT_SOLIDARITY_AFTER, UPDATE_SOLIDARITY),
        "signature_id",
        "original_sealed",
        SOLIDARITY,
        after,
        limit,
    )


# Values under each key, by its id (the bytes after the version): what `keys rotate` reports.
COUNT_SEALED_BY_KEY = """
SELECT substring(v FROM 2 FOR 4) AS key_id, count(*) AS sealed
FROM (
    SELECT email_sealed AS v FROM supporters
    UNION ALL SELECT name_sealed FROM signer_details
    UNION ALL SELECT phone_sealed FROM signer_details WHERE phone_sealed IS NOT NULL
    UNION ALL SELECT comment_sealed FROM signer_details WHERE comment_sealed IS NOT NULL
    UNION ALL SELECT phone_sealed FROM members WHERE phone_sealed IS NOT NULL
    UNION ALL SELECT original_sealed FROM solidarity_messages WHERE original_sealed IS NOT NULL
) sealed
GROUP BY 1
"""


async def count_sealed_by_key(conn: Connection) -> dict[bytes, int]:
    rows = await conn.fetch(COUNT_SEALED_BY_KEY)
    return {bytes(row["key_id"]): row["sealed"] for row in rows}
