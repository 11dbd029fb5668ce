"""Supporters and what they typed when signing: the person behind an address, the signer's
details, the keyed hashes of their email domain, their row held for a change."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import (
    COMMENT,
    EMAIL,
    NAME,
    PHONE,
)
from campaign_engine.db.pool import Connection, sealer_of

# A supporter who signs again keeps the address and language they first gave: a signature is
# not yet proof that the mailbox is theirs, so it must not rewrite what we hold.
UPSERT_SUPPORTER = """
INSERT INTO supporters (email_sealed, email_key, locale) VALUES ($1, $2, $3)
ON CONFLICT (email_key) DO UPDATE SET last_signed_at = now()
RETURNING id, xmax = 0 AS new
"""


async def upsert_supporter(
    conn: Connection, email: str, email_canonical: str, locale: str
) -> tuple[UUID, bool]:
    """The supporter's id, and whether this call made them (a row just inserted has no xmax).
    They are found by a keyed hash of the canonical address; the address itself is sealed."""
    sealer = sealer_of(conn)
    sealed, key = sealer.seal(email, EMAIL), sealer.lookup_key(email_canonical)
    row = await conn.fetchrow(UPSERT_SUPPORTER, sealed, key, locale)
    assert row is not None
    return row["id"], row["new"]


def email_domain_keys(conn: Connection, domain: str) -> list[bytes]:
    """The keyed hashes a signature keeps of its email's domain and the domains above it
    (sealing.py): made where the keys are, like the lookup key above."""
    return sealer_of(conn).domain_keys(domain)


# One signer's address per domain key, among an action's signatures since a moment (read
# through the action's index): enough to name a domain that many people signed with.
SELECT_EMAIL_OF_DOMAIN = """
SELECT DISTINCT ON (s.email_domain_keys[1]) s.email_domain_keys[1] AS domain_key, p.email_sealed
FROM signatures s JOIN supporters p ON p.id = s.supporter_id
WHERE s.action_id = $1 AND s.created_at > $2 AND s.email_domain_keys[1] = ANY($3::bytea[])
ORDER BY s.email_domain_keys[1]
"""


async def name_email_domains(
    conn: Connection, action_id: int, since: datetime, domain_keys: list[bytes]
) -> dict[bytes, str]:
    """The domains behind keys the caller found shared by many signers (never call it for
    one person's): each read from one signer's sealed address."""
    if not domain_keys:
        return {}
    rows = await conn.fetch(SELECT_EMAIL_OF_DOMAIN, action_id, since, domain_keys)
    sealer = sealer_of(conn)
    return {
        bytes(row["domain_key"]): sealer.open(row["email_sealed"], EMAIL).rpartition("@")[2].lower()
        for row in rows
    }


INSERT_SIGNER_DETAILS = """
INSERT INTO signer_details (signature_id, name_sealed, phone_sealed, comment_sealed)
VALUES ($1, $2, $3, $4)
"""


async def insert_signer_details(
    conn: Connection, signature_id: UUID, name: str, phone: str | None, comment: str | None
) -> None:
    sealer = sealer_of(conn)
    await conn.execute(
        INSERT_SIGNER_DETAILS,
        signature_id,
        sealer.seal(name, NAME),
        sealer.seal_optional(phone, PHONE),
        sealer.seal_optional(comment, COMMENT),
    )


# Unsubscribing holds the supporter's row, so two clicks at once record one withdrawal.
LOCK_SUPPORTER = "SELECT true FROM supporters WHERE id = $1 FOR UPDATE"


async def lock_supporter(conn: Connection, supporter_id: UUID) -> bool:
    """False when we hold no such supporter (erased)."""
    return bool(await conn.fetchval(LOCK_SUPPORTER, supporter_id))
