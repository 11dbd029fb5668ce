"""Supporters and what they typed when signing: the person behind an address, the signer's
details, the keyed hashes of their email domain, their row held for a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import (
    COMMENT,
    EMAIL,
    NAME,
    PHONE,
)
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.models.signing import Suspicion

# A signature in one statement, the hot path of a surge (a round trip each would be four): the
# supporter found or made, the signature unless they had signed already, what they typed, and,
# for an address never seen before, the email that confirms it (an address we know has a day's
# share of emails to check first, so the caller queues that one itself). The ids are made by
# the caller, so the outbox row's key is too (domain/signing/signatures.py). A supporter who
# signs again keeps the address and language they first gave: a signature is not yet proof
# that the mailbox is theirs, so it must not rewrite what we hold. A row just inserted has no
# xmax: that is how the statement knows the address is new.
INSERT_SIGNER = """
WITH supporter AS (
    INSERT INTO supporters (email_sealed, email_key, locale) VALUES ($1, $2, $3)
    ON CONFLICT (email_key) DO UPDATE SET last_signed_at = now()
    RETURNING id, xmax = 0 AS new
), signature AS (
    INSERT INTO signatures
        (id, action_id, supporter_id, locale, country, source, partner, partner_id, utm,
         client_key, anonymous, email_domain_keys, suspicion)
    SELECT $4::uuid, $5::bigint, supporter.id, $3, $6::text, $7::text, $8::text, $9::bigint,
           $10::jsonb, $11::bytea, $12::boolean, $13::bytea[], $14::text
    FROM supporter
    ON CONFLICT (action_id, supporter_id) DO NOTHING
    RETURNING id
), details AS (
    INSERT INTO signer_details (signature_id, name_sealed, phone_sealed, comment_sealed)
    SELECT id, $15::bytea, $16::bytea, $17::bytea FROM signature
), confirmation AS (
    INSERT INTO deliveries (dedup_key, kind, channel, signature_id)
    SELECT $18::text, $19::text, $20::text, signature.id
    FROM signature, supporter
    WHERE supporter.new AND $18::text IS NOT NULL
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
)
SELECT supporter.id AS supporter_id, supporter.new AS new_supporter,
       signature.id AS signature_id, confirmation.id AS confirmation_id
FROM supporter LEFT JOIN signature ON true LEFT JOIN confirmation ON true
"""


@dataclass(frozen=True)
class Signed:
    supporter_id: UUID
    new_supporter: bool
    signature_id: UUID | None  # None: this supporter had signed the action already
    confirmation_id: UUID | None  # the outbox row queued with it, if any


@dataclass(frozen=True)
class Confirmation:
    """The email to queue with a first signature by a new address: its outbox key, its kind
    and channel."""

    dedup_key: str
    kind: str
    channel: str


async def insert_signer(
    conn: Connection,
    *,
    signature_id: UUID,
    action_id: int,
    email: str,
    email_canonical: str,
    locale: str,
    country: str,
    name: str,
    phone: str | None,
    comment: str | None,
    source: str | None,
    partner: str | None,
    partner_id: int | None,
    utm: dict[str, str] | None,
    client_key: bytes | None,
    anonymous: bool,
    suspicion: Suspicion | None,
    confirmation: Confirmation | None,
) -> Signed:
    """Sign, with `signature_id` for the signature's id if it is a first one. The email's
    domain keys are made here, where the keys are."""
    sealer = sealer_of(conn)
    row = await conn.fetchrow(
        INSERT_SIGNER,
        sealer.seal(email, EMAIL),
        sealer.lookup_key(email_canonical),
        locale,
        signature_id,
        action_id,
        country,
        source,
        partner,
        partner_id,
        utm,
        client_key,
        anonymous,
        email_domain_keys(conn, email_canonical.rpartition("@")[2]),
        suspicion,
        sealer.seal(name, NAME),
        sealer.seal_optional(phone, PHONE),
        sealer.seal_optional(comment, COMMENT),
        confirmation and confirmation.dedup_key,
        confirmation and confirmation.kind,
        confirmation and confirmation.channel,
    )
    assert row is not None
    return Signed(
        row["supporter_id"], row["new_supporter"], row["signature_id"], row["confirmation_id"]
    )


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


# Unsubscribing holds the supporter's row, so two clicks at once record one withdrawal.
LOCK_SUPPORTER = "SELECT true FROM supporters WHERE id = $1 FOR UPDATE"


async def lock_supporter(conn: Connection, supporter_id: UUID) -> bool:
    """False when we hold no such supporter (erased)."""
    return bool(await conn.fetchval(LOCK_SUPPORTER, supporter_id))
