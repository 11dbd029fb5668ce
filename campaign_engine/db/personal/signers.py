"""An action's signers read out with their names and addresses: the CSV export, the API's
pages and OSDI's."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from uuid import UUID

from campaign_engine.db.personal.sealed import (
    opened_as,
)
from campaign_engine.db.pool import Connection
from campaign_engine.models.integrations import ApiSignature
from campaign_engine.models.signing import (
    SignatureExportRow,
    SignatureFilters,
)

# --- Exports (domain/campaigns/exports.py) ---

# An action's signatures with what each signer typed, oldest first. Each consent column is the
# latest word on its scope that concerns this signature: what was given with it, or a later
# change the supporter made outside any signature (signature_id NULL: unsubscribing); the
# partner's scope only for this signature's partner. NULL: never asked or never given.
SELECT_SIGNATURE_EXPORT = """
SELECT s.created_at AS signed_at, s.confirmed_at, s.status, d.name_sealed, p.email_sealed,
       d.phone_sealed, s.country, s.locale AS language, s.source, s.partner, d.comment_sealed,
       c.updates AS consent_updates, c.partner AS consent_partner, c.sms AS consent_sms
FROM signatures s
JOIN supporters p ON p.id = s.supporter_id
LEFT JOIN signer_details d ON d.signature_id = s.id
LEFT JOIN LATERAL (
    SELECT (array_agg(r.granted ORDER BY r.id DESC) FILTER (WHERE r.scope = 'updates'))[1]
               AS updates,
           (array_agg(r.granted ORDER BY r.id DESC)
                FILTER (WHERE r.scope = 'partner'
                          AND (r.partner IS NULL OR r.partner = s.partner)))[1] AS partner,
           (array_agg(r.granted ORDER BY r.id DESC) FILTER (WHERE r.scope = 'sms'))[1] AS sms
    FROM consent_records r
    WHERE r.supporter_id = s.supporter_id AND (r.signature_id = s.id OR r.signature_id IS NULL)
) c ON true
WHERE s.action_id = $1 AND s.status = ANY($2::text[])
  AND ($3::timestamptz IS NULL OR s.created_at >= $3)
  AND ($4::timestamptz IS NULL OR s.created_at < $4)
  AND ($5::text IS NULL OR s.country = $5)
  AND ($6::text IS NULL OR s.locale = $6)
  AND ($7::text IS NULL OR s.source = $7)
  AND ($8::text IS NULL OR s.partner = $8)
ORDER BY s.created_at, s.id
"""


async def stream_signature_export(
    conn: Connection,
    action_id: int,
    filters: SignatureFilters,
    signed_from: datetime | None,
    signed_before: datetime | None,
    batch_size: int,
) -> AsyncGenerator[list[SignatureExportRow], None]:
    """The signatures `filters` choose, `batch_size` at a time, from a cursor: call inside a
    transaction. The dates come as instants (`signed_before` excluded)."""
    cursor = await conn.cursor(
        SELECT_SIGNATURE_EXPORT,
        action_id,
        [str(status) for status in filters.statuses],
        signed_from,
        signed_before,
        filters.country,
        filters.language,
        filters.source,
        filters.partner,
    )
    while rows := await cursor.fetch(batch_size):
        yield [opened_as(SignatureExportRow, conn, row) for row in rows]


# --- API keys and the JSON API v1 (web/api/reads.py) ---

# An action's confirmed signatures with the signer's name and email, a page at a time in
# (created_at, id) order. With a partner ($4): only the signatures credited to it whose signer's
# latest word on that partner's list is yes (a withdrawal without a signature counts at once).
SELECT_API_SIGNATURES = """
SELECT s.id, s.created_at, s.confirmed_at, s.country, s.locale, s.source, s.partner, s.utm,
       d.name_sealed, p.email_sealed
FROM signatures s
JOIN actions a ON a.id = s.action_id
JOIN supporters p ON p.id = s.supporter_id
LEFT JOIN signer_details d ON d.signature_id = s.id
WHERE a.slug = $1 AND s.status = 'confirmed'
  AND ($2::timestamptz IS NULL OR (s.created_at, s.id) > ($2, $3::uuid))
  AND ($4::bigint IS NULL OR (
        s.partner_id = $4
        AND (SELECT r.granted FROM consent_records r
             LEFT JOIN signatures rs ON rs.id = r.signature_id
             WHERE r.supporter_id = s.supporter_id AND r.scope = 'partner'
               AND r.partner_id = $4
               AND (r.signature_id IS NULL OR rs.status = 'confirmed')
             ORDER BY r.id DESC LIMIT 1)))
ORDER BY s.created_at, s.id
LIMIT $5
"""


async def list_api_signatures(
    conn: Connection,
    action_slug: str,
    after: tuple[datetime, UUID] | None,
    partner_id: int | None,
    limit: int,
) -> list[ApiSignature]:
    rows = await conn.fetch(
        SELECT_API_SIGNATURES,
        action_slug,
        after[0] if after else None,
        after[1] if after else None,
        partner_id,
        limit,
    )
    return [opened_as(ApiSignature, conn, row) for row in rows]


# OSDI pages signatures by number: the same signatures as SELECT_API_SIGNATURES (confirmed;
# with a partner, $2, only its own opted-in signers), in the same order, by offset.
_OSDI_SIGNATURES = """
FROM signatures s
JOIN actions a ON a.id = s.action_id
WHERE a.slug = $1 AND s.status = 'confirmed'
  AND ($2::bigint IS NULL OR (
        s.partner_id = $2
        AND (SELECT r.granted FROM consent_records r
             LEFT JOIN signatures rs ON rs.id = r.signature_id
             WHERE r.supporter_id = s.supporter_id AND r.scope = 'partner'
               AND r.partner_id = $2
               AND (r.signature_id IS NULL OR rs.status = 'confirmed')
             ORDER BY r.id DESC LIMIT 1)))
"""

SELECT_OSDI_SIGNATURES_PAGE = f"""
SELECT s.id, s.created_at, s.confirmed_at, s.country, s.locale, s.source, s.partner, s.utm,
       (SELECT d.name_sealed FROM signer_details d WHERE d.signature_id = s.id) AS name_sealed,
       (SELECT p.email_sealed FROM supporters p WHERE p.id = s.supporter_id) AS email_sealed
{_OSDI_SIGNATURES}
ORDER BY s.created_at, s.id
OFFSET $3 LIMIT $4
"""


async def list_osdi_signatures(
    conn: Connection, action_slug: str, partner_id: int | None, offset: int, limit: int
) -> list[ApiSignature]:
    rows = await conn.fetch(SELECT_OSDI_SIGNATURES_PAGE, action_slug, partner_id, offset, limit)
    return [opened_as(ApiSignature, conn, row) for row in rows]


COUNT_OSDI_SIGNATURES = f"SELECT count(*) {_OSDI_SIGNATURES}"


async def count_osdi_signatures(conn: Connection, action_slug: str, partner_id: int | None) -> int:
    total: int = await conn.fetchval(COUNT_OSDI_SIGNATURES, action_slug, partner_id)
    return total
