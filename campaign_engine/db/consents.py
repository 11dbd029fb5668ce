"""Consent evidence: the wording shown, and who agreed to it."""

from __future__ import annotations

from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.models import ConsentScope

# Wording is stored once per version. DO NOTHING takes no lock on a row that exists, so every
# signer of a surge can record consent without queueing on the wording's row.
INSERT_CONSENT_TEXT = """
WITH inserted AS (
    INSERT INTO consent_texts (scope, locale, digest, text) VALUES ($1, $2, $3, $4)
    ON CONFLICT (scope, locale, digest) DO NOTHING
    RETURNING id
)
SELECT id FROM inserted
UNION ALL
SELECT id FROM consent_texts WHERE scope = $1 AND locale = $2 AND digest = $3
LIMIT 1
"""


async def get_or_insert_consent_text(
    conn: Connection, scope: ConsentScope, locale: str, digest: str, text: str
) -> int | None:
    """The wording's id; None only if another transaction inserted it this very moment."""
    text_id: int | None = await conn.fetchval(INSERT_CONSENT_TEXT, scope, locale, digest, text)
    return text_id


INSERT_CONSENT_RECORD = """
INSERT INTO consent_records
    (supporter_id, signature_id, scope, granted, consent_text_id, source, partner)
VALUES ($1, $2, $3, true, $4, $5, $6)
"""


async def insert_consent_granted(
    conn: Connection,
    *,
    supporter_id: UUID,
    signature_id: UUID,
    scope: ConsentScope,
    consent_text_id: int,
    source: str | None,
    partner: str | None,
) -> None:
    await conn.execute(
        INSERT_CONSENT_RECORD, supporter_id, signature_id, scope, consent_text_id, source, partner
    )
