"""Migration 0018 only (db/migrate.py): the values migration 0017 left in the plain columns,
sealed before 0018 drops those columns. Nothing else calls this."""

from __future__ import annotations

from campaign_engine.db.personal.resealing import FIRST, UPDATE_SIGNER_DETAILS_SEALED
from campaign_engine.db.personal.sealed import (
    COMMENT,
    EMAIL,
    NAME,
    PHONE,
)
from campaign_engine.db.pool import Connection, sealer_of

# Migration 0018 only (db/migrate.py): the values 0017 left in the plain columns, sealed a
# batch at a time in key order, before 0018 drops those columns. The tables are locked first,
# so nothing written by a process still running older code can slip past the sealing.
LOCK_PERSONAL_TABLES = "LOCK TABLE supporters, signer_details IN EXCLUSIVE MODE"

SELECT_PLAIN_SUPPORTERS = """
SELECT id, email, email_canonical FROM supporters WHERE id > $1 ORDER BY id LIMIT $2
"""

UPDATE_SUPPORTERS_SEALED = """
UPDATE supporters p SET email_sealed = x.sealed, email_key = x.key
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, key)
WHERE p.id = x.id
"""


async def seal_plain_supporters(conn: Connection, batch_size: int = 5_000) -> int:
    """Seal every plain address (call inside the migration's transaction); returns how many."""
    await conn.execute(LOCK_PERSONAL_TABLES)
    sealed, after = 0, FIRST
    while rows := await conn.fetch(SELECT_PLAIN_SUPPORTERS, after, batch_size):
        sealer = sealer_of(conn)  # asked for only when there is something to seal
        await conn.execute(
            UPDATE_SUPPORTERS_SEALED,
            [row["id"] for row in rows],
            [sealer.seal(row["email"], EMAIL) for row in rows],
            [sealer.lookup_key(row["email_canonical"]) for row in rows],
        )
        sealed, after = sealed + len(rows), rows[-1]["id"]
    return sealed


SELECT_PLAIN_SIGNER_DETAILS = """
SELECT signature_id, name, phone, comment FROM signer_details
WHERE signature_id > $1 ORDER BY signature_id LIMIT $2
"""


async def seal_plain_signer_details(conn: Connection, batch_size: int = 5_000) -> int:
    """Seal every plain name, phone and message (after seal_plain_supporters, which locked
    the tables); returns how many rows."""
    sealed, after = 0, FIRST
    while rows := await conn.fetch(SELECT_PLAIN_SIGNER_DETAILS, after, batch_size):
        sealer = sealer_of(conn)
        await conn.execute(
            UPDATE_SIGNER_DETAILS_SEALED,
            [row["signature_id"] for row in rows],
            [sealer.seal(row["name"], NAME) for row in rows],
            [sealer.seal_optional(row["phone"], PHONE) for row in rows],
            [sealer.seal_optional(row["comment"], COMMENT) for row in rows],
            [None] * len(rows),
        )
        sealed, after = sealed + len(rows), rows[-1]["signature_id"]
    return sealed
