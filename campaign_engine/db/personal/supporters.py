"""Supporters and what they typed when signing: the person behind an address, the signer's
details, the keyed hashes of their email domain, their row held for a change."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
from campaign_engine.models.delivery import DeliveryKind
from campaign_engine.models.signing import Suspicion

# A batch of signatures in one statement, the hot path of a surge (domain/signing/batches.py):
# for each signer, the supporter found or made, the signature unless they had signed already,
# what they typed, and, for an address never seen before, the email that confirms it (an
# address we know has a day's share of emails to check first, so the caller queues that one
# itself). The ids and outbox keys are made by the caller. A supporter who signs again keeps the
# address and language they first gave: a signature is not yet proof that the mailbox is
# theirs, so it must not rewrite what we hold. A row just inserted has no xmax: that is how the
# statement knows the address is new. Supporters are written in the order of their keys, so two
# batches meeting the same addresses take their rows in the same order.
#
# A signer not yet suspected is judged on its client's recent signatures of the action (its
# row's limits, a minute's and an hour's; 0 is none). The caller holds the client's lock
# (db/signing/abuse.py), and this statement began after it was granted, so the count sees what
# the previous holder committed.
# A batch never holds two signers of one address, nor two of one client on one action.
SIGN_BATCH = """
WITH signer AS (
    SELECT * FROM unnest($1::signer_row[])
), supporter AS (
    INSERT INTO supporters (email_sealed, email_key, locale)
    SELECT email_sealed, email_key, locale FROM signer ORDER BY email_key
    ON CONFLICT (email_key) DO UPDATE SET last_signed_at = now()
    RETURNING id, email_key, xmax = 0 AS new
), judged AS (
    SELECT s.*, p.id AS supporter_id, p.new AS new_supporter,
           coalesce(s.suspicion, CASE WHEN s.client_key IS NOT NULL
                                      AND (s.per_minute > 0 OR s.per_hour > 0) AND (
               SELECT (s.per_minute > 0 AND count(*) FILTER (
                           WHERE created_at > now() - interval '1 minute') >= s.per_minute)
                   OR (s.per_hour > 0 AND count(*) >= s.per_hour)
               FROM (
                   SELECT created_at FROM signatures r
                   WHERE r.action_id = s.action_id AND r.client_key = s.client_key
                     AND r.created_at > now() - interval '1 hour'
                   ORDER BY r.created_at DESC
                   LIMIT greatest(s.per_minute, s.per_hour)
               ) recent
           ) THEN $4 END) AS judged
    FROM signer s JOIN supporter p USING (email_key)
), signature AS (
    INSERT INTO signatures
        (id, action_id, supporter_id, locale, country, source, partner, partner_id, utm,
         client_key, anonymous, email_domain_keys, suspicion)
    SELECT signature_id, action_id, supporter_id, locale, country, source, partner, partner_id,
           utm::jsonb, client_key, anonymous, email_domain_keys, judged
    FROM judged
    ON CONFLICT (action_id, supporter_id) DO NOTHING
    RETURNING id
), details AS (
    INSERT INTO signer_details (signature_id, name_sealed, phone_sealed, comment_sealed)
    SELECT j.signature_id, j.name_sealed, j.phone_sealed, j.comment_sealed
    FROM judged j JOIN signature ON signature.id = j.signature_id
), confirmation AS (
    INSERT INTO deliveries (dedup_key, kind, channel, signature_id)
    SELECT j.confirmation_key, $2::text, $3::text, j.signature_id
    FROM judged j JOIN signature ON signature.id = j.signature_id
    WHERE j.new_supporter AND j.judged IS NULL AND j.confirmation_key IS NOT NULL
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id, signature_id
)
SELECT j.ord, j.supporter_id, j.new_supporter, signature.id AS signature_id,
       confirmation.id AS confirmation_id, j.judged AS suspicion
FROM judged j
LEFT JOIN signature ON signature.id = j.signature_id
LEFT JOIN confirmation ON confirmation.signature_id = j.signature_id
ORDER BY j.ord
"""


@dataclass(frozen=True)
class NewSigner:
    """One signer as the sign flow hands them to `insert_signers`: what they typed, in clear
    (sealed there, where the keys are), and what the flow decided before writing."""

    signature_id: UUID  # the signature's id, if it is a first one
    action_id: int
    email: str
    email_canonical: str
    locale: str
    country: str
    name: str
    phone: str | None
    comment: str | None
    source: str | None
    partner: str | None
    partner_id: int | None
    utm: dict[str, str] | None
    client_key: bytes | None
    per_minute: int  # signatures of this client on this action before the next is suspected
    per_hour: int  # (0: no limit)
    anonymous: bool
    suspicion: Suspicion | None  # already known without counting (abuse.py)
    # The outbox key of its confirmation: queued by the statement if the address is new and
    # the signer not judged suspect there; None for one suspected already.
    confirmation_key: str | None


@dataclass(frozen=True)
class Signed:
    supporter_id: UUID
    new_supporter: bool
    signature_id: UUID | None  # None: this supporter had signed the action already
    confirmation_id: UUID | None  # the outbox row queued with it, if any
    suspicion: Suspicion | None  # as judged, counting included


async def insert_signers(conn: Connection, signers: Sequence[NewSigner]) -> list[Signed]:
    """Sign for every signer, in one statement; the answers in the signers' order. The
    email's domain keys are made here, where the keys are."""
    sealer = sealer_of(conn)
    rows = [
        (
            ord,
            signer.signature_id,
            signer.action_id,
            sealer.seal(signer.email, EMAIL),
            sealer.lookup_key(signer.email_canonical),
            signer.locale,
            signer.country,
            signer.source,
            signer.partner,
            signer.partner_id,
            json.dumps(signer.utm) if signer.utm is not None else None,
            signer.client_key,
            signer.per_minute,
            signer.per_hour,
            signer.anonymous,
            email_domain_keys(conn, signer.email_canonical.rpartition("@")[2]),
            signer.suspicion,
            sealer.seal(signer.name, NAME),
            sealer.seal_optional(signer.phone, PHONE),
            sealer.seal_optional(signer.comment, COMMENT),
            signer.confirmation_key,
        )
        for ord, signer in enumerate(signers)
    ]
    found = await conn.fetch(
        SIGN_BATCH,
        rows,
        DeliveryKind.CONFIRMATION,
        "email",
        Suspicion.CLIENT_RATE,
    )
    return [
        Signed(
            row["supporter_id"],
            row["new_supporter"],
            row["signature_id"],
            row["confirmation_id"],
            Suspicion(row["suspicion"]) if row["suspicion"] else None,
        )
        for row in found
    ]


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


# A supporter by address, made if new, outside signing (joining the network): the address and
# language they first gave are kept, as signing keeps them.
FIND_OR_MAKE_SUPPORTER = """
WITH made AS (
    INSERT INTO supporters (email_sealed, email_key, locale) VALUES ($1, $2, $3)
    ON CONFLICT (email_key) DO NOTHING
    RETURNING id
)
SELECT id FROM made
UNION ALL
SELECT id FROM supporters WHERE email_key = $2
LIMIT 1
"""


async def find_or_make_supporter(
    conn: Connection, email: str, email_canonical: str, locale: str
) -> UUID | None:
    """The supporter's id; None only if another transaction made them this very moment."""
    sealer = sealer_of(conn)
    found: UUID | None = await conn.fetchval(
        FIND_OR_MAKE_SUPPORTER,
        sealer.seal(email, EMAIL),
        sealer.lookup_key(email_canonical),
        locale,
    )
    return found
