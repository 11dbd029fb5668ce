"""Made-up signers, for the benchmark and the fault drill only: tens of thousands in one
statement. Nothing of the product calls this."""

from __future__ import annotations

from campaign_engine.db.personal.sealed import (
    EMAIL,
    NAME,
)
from campaign_engine.db.pool import Connection, sealer_of

# Made-up confirmed signers, in one statement: for the benchmark's fan-out, which needs tens of
# thousands of them in seconds. Addresses are at example.org and carry `batch`; all share one
# sealed name (sealing it once is the benchmark's shortcut, not a pattern to copy).
INSERT_SYNTHETIC_SIGNERS = """
WITH new_supporters AS (
    INSERT INTO supporters (email_sealed, email_key, locale)
    SELECT sealed, key, 'en' FROM unnest($2::bytea[], $3::bytea[]) AS x(sealed, key)
    RETURNING id
), new_signatures AS (
    INSERT INTO signatures (action_id, supporter_id, locale, country, status, confirmed_at)
    SELECT $1, id, 'en', 'GB', 'confirmed', now() FROM new_supporters
    RETURNING id
)
INSERT INTO signer_details (signature_id, name_sealed)
SELECT id, $4 FROM new_signatures
"""


async def insert_synthetic_signers(
    conn: Connection, action_id: int, count: int, batch: str
) -> None:
    sealer = sealer_of(conn)
    numbers = range(1, count + 1)
    await conn.execute(
        INSERT_SYNTHETIC_SIGNERS,
        action_id,
        [sealer.seal(f"signer{n}@example.org", EMAIL) for n in numbers],
        [sealer.lookup_key(f"signer{n}.{batch}@example.org") for n in numbers],
        sealer.seal("Bench Signer", NAME),
    )


# Made-up members of the network, active, for `bench alert`: each reads `languages` (cycled).
INSERT_SYNTHETIC_MEMBERS = """
WITH new_supporters AS (
    INSERT INTO supporters (email_sealed, email_key, locale)
    SELECT sealed, key, 'en' FROM unnest($1::bytea[], $2::bytea[]) AS x(sealed, key)
    RETURNING id
), numbered AS (
    SELECT id, row_number() OVER () AS n FROM new_supporters
)
INSERT INTO members (supporter_id, status, locale, languages, consent_text_id, asked_at,
                     joined_at)
SELECT id, 'active', 'en',
       ARRAY(SELECT jsonb_array_elements_text($3::jsonb -> (n::int % jsonb_array_length($3)))),
       $4, now(), now()
FROM numbered
"""


async def insert_synthetic_members(
    conn: Connection,
    first: int,
    count: int,
    batch: str,
    languages: list[list[str]],
    consent_text_id: int,
) -> None:
    sealer = sealer_of(conn)
    numbers = range(first, first + count)
    await conn.execute(
        INSERT_SYNTHETIC_MEMBERS,
        [sealer.seal(f"member{n}@example.org", EMAIL) for n in numbers],
        [sealer.lookup_key(f"member{n}.{batch}@example.org") for n in numbers],
        languages,
        consent_text_id,
    )
