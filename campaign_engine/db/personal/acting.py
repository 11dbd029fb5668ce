"""The one-click act from an alert (domain/signing/one_click.py): what the member is, what
they signed with last (their name and country, to fill the form in), whether they signed this
action already; and the confirmed signature it makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import COMMENT, NAME, opened_as
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.models.signing import SignatureStatus


@dataclass(frozen=True)
class Actor:
    action_slug: str
    action_status: str
    member_status: str | None  # None: never in the network
    signature_id: UUID | None  # their signature of this action, if any
    signature_status: SignatureStatus | None
    signed_at: datetime | None
    name: str | None  # from their latest confirmed signature of any action
    country: str | None
    anonymous: bool | None  # whether they asked to stay unnamed then
    thanks_in_person: bool = False  # as SignatureState's (db/signing/signatures.py)


# Their name is the one they last signed with: a member who joined through the network's own
# form has signed nothing yet, and types it once.
SELECT_ACTOR = """
SELECT a.slug AS action_slug, a.status AS action_status, m.status AS member_status,
       mine.id AS signature_id, mine.status AS signature_status, mine.created_at AS signed_at,
       last.name_sealed, last.country, last.anonymous,
       a.own_mailbox OR a.asks_solidarity AS thanks_in_person
FROM actions a
LEFT JOIN members m ON m.supporter_id = $1
LEFT JOIN signatures mine ON mine.action_id = a.id AND mine.supporter_id = $1
LEFT JOIN LATERAL (
    SELECT d.name_sealed, s.country, s.anonymous
    FROM signatures s JOIN signer_details d ON d.signature_id = s.id
    WHERE s.supporter_id = $1 AND s.status = 'confirmed'
    ORDER BY s.confirmed_at DESC NULLS LAST
    LIMIT 1
) last ON true
WHERE a.id = $2
"""


async def get_actor(conn: Connection, supporter_id: UUID, action_id: int) -> Actor | None:
    """None: no such action."""
    row = await conn.fetchrow(SELECT_ACTOR, supporter_id, action_id)
    if row is None:
        return None
    status = row["signature_status"]
    return opened_as(Actor, conn, row, signature_status=SignatureStatus(status) if status else None)


# A signature confirmed as it is made: the link in the alert proved the address. No client
# key and no domain keys: a one-click act is never counted towards a bot wave.
INSERT_CONFIRMED_SIGNATURE = """
WITH signature AS (
    INSERT INTO signatures (id, action_id, supporter_id, locale, country, source, anonymous,
                            status, confirmed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'confirmed', now())
    ON CONFLICT (action_id, supporter_id) DO NOTHING
    RETURNING id
)
INSERT INTO signer_details (signature_id, name_sealed, comment_sealed)
SELECT id, $8, $9 FROM signature
RETURNING signature_id
"""


@dataclass(frozen=True)
class OneClickSigner:
    signature_id: UUID
    action_id: int
    supporter_id: UUID
    locale: str
    country: str
    source: str
    anonymous: bool
    name: str
    comment: str | None


async def insert_confirmed_signature(conn: Connection, signer: OneClickSigner) -> bool:
    """False when they had signed the action already (nothing is written)."""
    sealer = sealer_of(conn)
    made = await conn.fetchval(
        INSERT_CONFIRMED_SIGNATURE,
        signer.signature_id,
        signer.action_id,
        signer.supporter_id,
        signer.locale,
        signer.country,
        signer.source,
        signer.anonymous,
        sealer.seal(signer.name, NAME),
        sealer.seal_optional(signer.comment, COMMENT),
    )
    return made is not None


# A signature still pending under the member's address was typed by whoever typed it (perhaps
# a robot, perhaps a stranger): the act replaces what it says with what the member submitted,
# drops the boxes it ticked, and forgets its client and partner, before it is confirmed. Only
# the address was ever theirs.
REPLACE_PENDING_SIGNATURE = """
WITH signature AS (
    UPDATE signatures
    SET country = $2, locale = $3, anonymous = $4, source = $5, partner = NULL,
        partner_id = NULL, utm = NULL, client_key = NULL, email_domain_keys = NULL,
        suspicion = NULL
    WHERE id = $1 AND status = 'pending'
    RETURNING id
), details AS (
    UPDATE signer_details
    SET name_sealed = $6, comment_sealed = $7, phone_sealed = NULL
    WHERE signature_id IN (SELECT id FROM signature)
), ticked AS (
    DELETE FROM consent_records WHERE signature_id IN (SELECT id FROM signature)
)
SELECT count(*) FROM signature
"""


async def replace_pending_signature(conn: Connection, signer: OneClickSigner) -> bool:
    """False when it was no longer pending (confirmed or erased meanwhile)."""
    sealer = sealer_of(conn)
    replaced = await conn.fetchval(
        REPLACE_PENDING_SIGNATURE,
        signer.signature_id,
        signer.country,
        signer.locale,
        signer.anonymous,
        signer.source,
        sealer.seal(signer.name, NAME),
        sealer.seal_optional(signer.comment, COMMENT),
    )
    return bool(replaced)
