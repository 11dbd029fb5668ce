"""A data subject's rights: the supporter found by address, their data counted, exported and
erased; and retention's deletions (domain/privacy/rights.py decides when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import (
    opened,
    opened_as,
)
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.db.privacy.rights import (
    SELECT_SUPPORTER_CONSENTS,
    SELECT_SUPPORTER_MESSAGES,
)

# Privacy: finding a supporter, their record for a subject-access export, erasure and
# retention (domain/privacy/rights.py). ---------------------------------------------------

SELECT_SUPPORTER_BY_EMAIL = "SELECT id FROM supporters WHERE email_key = $1"


async def find_supporter(conn: Connection, canonical_email: str) -> UUID | None:
    key = sealer_of(conn).lookup_key(canonical_email)
    found: UUID | None = await conn.fetchval(SELECT_SUPPORTER_BY_EMAIL, key)
    return found


@dataclass(frozen=True)
class SupporterTally:
    """How much we hold about a supporter: what the privacy pages show, opening nothing."""

    signatures: int
    consents: int
    messages: int


# The same consents and messages the export lists (db/privacy/rights.py), counted.
COUNT_SUPPORTER_DATA = f"""
SELECT (SELECT count(*) FROM signatures WHERE supporter_id = p.id) AS signatures,
       (SELECT count(*) FROM ({SELECT_SUPPORTER_CONSENTS}) c) AS consents,
       (SELECT count(*) FROM ({SELECT_SUPPORTER_MESSAGES}) m) AS messages
FROM supporters p WHERE p.id = $1
"""


async def count_supporter_data(conn: Connection, supporter_id: UUID) -> SupporterTally | None:
    row = await conn.fetchrow(COUNT_SUPPORTER_DATA, supporter_id)
    return None if row is None else SupporterTally(**dict(row))


SELECT_EMAIL_KEY = "SELECT email_key FROM supporters WHERE id = $1"


async def get_email_key(conn: Connection, supporter_id: UUID) -> bytes | None:
    """The keyed hash of a supporter's address: what an erasure keeps of it."""
    found: bytes | None = await conn.fetchval(SELECT_EMAIL_KEY, supporter_id)
    return found


@dataclass(frozen=True)
class SupporterRecord:
    id: UUID
    email: str
    locale: str
    created_at: datetime
    last_signed_at: datetime


SELECT_SUPPORTER_RECORD = """
SELECT id, email_sealed, locale, created_at, last_signed_at FROM supporters WHERE id = $1
"""


async def get_supporter_record(conn: Connection, supporter_id: UUID) -> SupporterRecord | None:
    row = await conn.fetchrow(SELECT_SUPPORTER_RECORD, supporter_id)
    return None if row is None else opened_as(SupporterRecord, conn, row)


# Everything a supporter's signatures hold, with what they typed: the export's heart.
SELECT_SUPPORTER_SIGNATURES = """
SELECT s.id, a.code AS action_code, a.slug AS action_slug, s.status, s.locale, s.country,
       s.source, s.partner, s.utm, s.anonymous, s.created_at, s.confirmed_at,
       d.name_sealed, d.phone_sealed, d.comment_sealed
FROM signatures s
JOIN actions a ON a.id = s.action_id
LEFT JOIN signer_details d ON d.signature_id = s.id
WHERE s.supporter_id = $1
ORDER BY s.created_at
"""


async def list_supporter_signatures(
    conn: Connection, supporter_id: UUID
) -> list[dict[str, object]]:
    rows = await conn.fetch(SELECT_SUPPORTER_SIGNATURES, supporter_id)
    return [opened(conn, row) for row in rows]


# A signer's solidarity messages go with their details (docs/solidarity.md).
DELETE_SIGNER_DETAILS_OF_SUPPORTER = """
WITH messages AS (
    DELETE FROM solidarity_messages m USING signatures s
    WHERE m.signature_id = s.id AND s.supporter_id = $1
)
DELETE FROM signer_details d USING signatures s
WHERE d.signature_id = s.id AND s.supporter_id = $1
"""


async def delete_signer_details_of_supporter(conn: Connection, supporter_id: UUID) -> None:
    await conn.execute(DELETE_SIGNER_DETAILS_OF_SUPPORTER, supporter_id)


DELETE_SIGNER_DETAILS_OF_SIGNATURE = """
WITH messages AS (DELETE FROM solidarity_messages WHERE signature_id = $1)
DELETE FROM signer_details WHERE signature_id = $1
"""


async def delete_signer_details_of_signature(conn: Connection, signature_id: UUID) -> None:
    await conn.execute(DELETE_SIGNER_DETAILS_OF_SIGNATURE, signature_id)


# Retention forgets who signed; the messages approved for the family stay as approved, their
# originals forgotten, and those not approved go.
DELETE_SIGNER_DETAILS_OF_ACTION = """
WITH unapproved AS (
    DELETE FROM solidarity_messages WHERE action_id = $1 AND status <> 'approved'
), approved AS (
    UPDATE solidarity_messages SET original_sealed = NULL
    WHERE action_id = $1 AND status = 'approved'
)
DELETE FROM signer_details d USING signatures s
WHERE d.signature_id = s.id AND s.action_id = $1
"""


async def delete_signer_details_of_action(conn: Connection, action_id: int) -> int:
    result = await conn.execute(DELETE_SIGNER_DETAILS_OF_ACTION, action_id)
    return int(result.split()[-1])


# Supporters whom retention left with no signature at all: nothing ties them to anything any
# more, so nothing of them is kept (their consent evidence goes just before them), unless
# they are in the network or asked to join it (what they left behind there goes with them).
SELECT_SUPPORTERS_WITHOUT_SIGNATURES = """
SELECT p.id FROM supporters p
WHERE p.id = ANY($1::uuid[])
  AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.supporter_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM members m WHERE m.supporter_id = p.id AND m.status <> 'left')
  AND NOT EXISTS (SELECT 1 FROM case_followers f
                  WHERE f.supporter_id = p.id AND f.status <> 'left')
"""


async def list_supporters_without_signatures(
    conn: Connection, candidates: list[UUID]
) -> list[UUID]:
    rows = await conn.fetch(SELECT_SUPPORTERS_WITHOUT_SIGNATURES, candidates)
    return [row["id"] for row in rows]


DELETE_SUPPORTERS = "DELETE FROM supporters WHERE id = ANY($1::uuid[])"


async def delete_supporters(conn: Connection, supporter_ids: list[UUID]) -> int:
    result = await conn.execute(DELETE_SUPPORTERS, supporter_ids)
    return int(result.split()[-1])
