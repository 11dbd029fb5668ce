"""Every query that reads or writes supporters' personal data, and no other module's.

Personal data lives in `supporters` (email addresses) and `signer_details` (names, phones,
personal messages). Keeping every touch of them here is what lets them be encrypted at rest,
erased and exported in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models import SignatureStatus, SupporterMessageContext

# A supporter who signs again keeps the address and language they first gave: a signature is
# not yet proof that the mailbox is theirs, so it must not rewrite what we hold.
UPSERT_SUPPORTER = """
INSERT INTO supporters (email, email_canonical, locale) VALUES ($1, $2, $3)
ON CONFLICT (email_canonical) DO UPDATE SET last_signed_at = now()
RETURNING id
"""


async def upsert_supporter(conn: Connection, email: str, email_canonical: str, locale: str) -> UUID:
    supporter_id: UUID = await conn.fetchval(UPSERT_SUPPORTER, email, email_canonical, locale)
    return supporter_id


INSERT_SIGNER_DETAILS = """
INSERT INTO signer_details (signature_id, name, phone, comment) VALUES ($1, $2, $3, $4)
"""


async def insert_signer_details(
    conn: Connection, signature_id: UUID, name: str, phone: str | None, comment: str | None
) -> None:
    await conn.execute(INSERT_SIGNER_DETAILS, signature_id, name, phone, comment)


# The action's title comes in the signer's language when it has one, else the action's own.
SELECT_SUPPORTER_MESSAGE_CONTEXT = """
SELECT s.id AS signature_id, s.status AS signature_status, s.locale, p.email, d.name,
       a.slug AS action_slug, a.code AS action_code,
       t.title AS action_title, t.locale AS action_locale
FROM signatures s
JOIN supporters p ON p.id = s.supporter_id
JOIN signer_details d ON d.signature_id = s.id
JOIN actions a ON a.id = s.action_id
JOIN LATERAL (
    SELECT locale, title FROM action_translations
    WHERE action_id = a.id AND locale IN (s.locale, a.default_locale)
    ORDER BY locale = s.locale DESC
    LIMIT 1
) t ON true
WHERE s.id = $1
"""


async def get_supporter_message_context(
    conn: Connection, signature_id: UUID
) -> SupporterMessageContext | None:
    row = await conn.fetchrow(SELECT_SUPPORTER_MESSAGE_CONTEXT, signature_id)
    if row is None:
        return None
    return from_row(
        SupporterMessageContext,
        row,
        signature_status=SignatureStatus(row["signature_status"]),
    )


# Those who signed an action in a period, oldest first: countries for everyone, names for
# those who did not ask to stay unnamed.
SELECT_DIGEST_SIGNERS = """
SELECT CASE WHEN s.anonymous THEN NULL ELSE d.name END AS name, s.country
FROM signatures s
JOIN signer_details d ON d.signature_id = s.id
WHERE s.action_id = $1 AND s.status = 'confirmed'
  AND s.confirmed_at >= $2 AND s.confirmed_at < $3
ORDER BY s.confirmed_at
"""


async def list_digest_signers(
    conn: Connection, action_id: int, start: datetime, end: datetime
) -> list[tuple[str | None, str]]:
    """(name or None, country) of each confirmed signer in [start, end)."""
    rows = await conn.fetch(SELECT_DIGEST_SIGNERS, action_id, start, end)
    return [(row["name"], row["country"]) for row in rows]


# Numbers that texted STOP, kept only as keyed hashes.
INSERT_OPT_OUT = """
INSERT INTO sms_opt_outs (phone_key, opted_out_at) VALUES ($1, $2)
ON CONFLICT (phone_key) DO NOTHING
"""


async def opt_out_phone(conn: Connection, phone_key: bytes, at: datetime) -> None:
    await conn.execute(INSERT_OPT_OUT, phone_key, at)


DELETE_OPT_OUT = "DELETE FROM sms_opt_outs WHERE phone_key = $1"


async def opt_in_phone(conn: Connection, phone_key: bytes) -> None:
    await conn.execute(DELETE_OPT_OUT, phone_key)


SELECT_OPTED_OUT = "SELECT EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone_key = $1)"


async def is_opted_out(conn: Connection, phone_key: bytes) -> bool:
    return bool(await conn.fetchval(SELECT_OPTED_OUT, phone_key))


# Made-up confirmed signers, in one statement: for the benchmark's fan-out, which needs tens of
# thousands of them in seconds. Addresses are at example.org and carry `batch`.
INSERT_SYNTHETIC_SIGNERS = """
WITH new_supporters AS (
    INSERT INTO supporters (email, email_canonical, locale)
    SELECT 'signer' || n || '@example.org', 'signer' || n || '.' || $3 || '@example.org', 'en'
    FROM generate_series(1, $2) AS n
    RETURNING id
), new_signatures AS (
    INSERT INTO signatures (action_id, supporter_id, locale, country, status, confirmed_at)
    SELECT $1, id, 'en', 'GB', 'confirmed', now() FROM new_supporters
    RETURNING id
)
INSERT INTO signer_details (signature_id, name)
SELECT id, 'Bench Signer' FROM new_signatures
"""


async def insert_synthetic_signers(
    conn: Connection, action_id: int, count: int, batch: str
) -> None:
    await conn.execute(INSERT_SYNTHETIC_SIGNERS, action_id, count, batch)


@dataclass(frozen=True)
class AppealRow:
    """Everything one appeal says and where it goes, as the database holds it."""

    delivery_id: UUID
    case_id: int
    action_code: str
    reply_to: str
    to_name: str
    to_address: str
    address_status: str
    salutations: dict[str, str]
    locale: str  # the letter's language, along the target's chain
    subject: str
    body: str
    signer_name: str
    signer_email: str
    signer_country: str
    comment: str | None
    anonymous: bool


# The appeals of several deliveries at once, each with its letter in the first language of the
# chain (the target's preferred, its base, the action's own) that has a published one. Those
# with no confirmed signature or no letter are simply missing.
SELECT_APPEALS = """
SELECT d.id AS delivery_id, a.case_id, a.code AS action_code, a.reply_to,
       t.name AS to_name, c.address AS to_address, c.status AS address_status, t.salutations,
       letter.locale, letter.letter_subject AS subject, letter.letter_body AS body,
       sd.name AS signer_name, p.email AS signer_email, s.country AS signer_country,
       sd.comment, s.anonymous
FROM deliveries d
JOIN targets t ON t.id = d.target_id
JOIN target_contacts c ON c.id = d.contact_id
JOIN actions a ON a.id = d.action_id
JOIN signatures s ON s.id = d.signature_id AND s.status = 'confirmed'
JOIN supporters p ON p.id = s.supporter_id
JOIN signer_details sd ON sd.signature_id = s.id
JOIN LATERAL (
    SELECT locale, letter_subject, letter_body FROM action_translations
    WHERE action_id = a.id AND published
      AND locale = ANY(ARRAY[t.preferred_locale, split_part(t.preferred_locale, '-', 1),
                             a.default_locale])
    ORDER BY array_position(
        ARRAY[t.preferred_locale, split_part(t.preferred_locale, '-', 1), a.default_locale],
        locale)
    LIMIT 1
) letter ON true
WHERE d.id = ANY($1::uuid[])
"""


async def list_appeals(conn: Connection, delivery_ids: list[UUID]) -> list[AppealRow]:
    return [from_row(AppealRow, row) for row in await conn.fetch(SELECT_APPEALS, delivery_ids)]
