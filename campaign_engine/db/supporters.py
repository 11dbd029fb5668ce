"""Every query that reads or writes supporters' personal data, and no other module's.

Personal data lives in `supporters` (email addresses) and `signer_details` (names, phones,
personal messages). Keeping every touch of them here is what lets them be encrypted at rest,
erased and exported in one place.
"""

from __future__ import annotations

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
