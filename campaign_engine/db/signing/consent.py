"""Consent evidence: the wording shown, and who agreed to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from uuid import UUID

from campaign_engine.db.pool import Connection
from campaign_engine.models.signing import ConsentScope

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


# Consent given with signatures, a batch's at once: one row per (signature, scope).
INSERT_CONSENT_RECORDS = """
INSERT INTO consent_records
    (supporter_id, signature_id, scope, granted, consent_text_id, source, partner, partner_id)
SELECT supporter_id, signature_id, scope, true, consent_text_id, source, partner, partner_id
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[],
            $7::bigint[])
    AS g(supporter_id, signature_id, scope, consent_text_id, source, partner, partner_id)
"""


@dataclass(frozen=True)
class ConsentGranted:
    supporter_id: UUID
    signature_id: UUID
    scope: ConsentScope
    consent_text_id: int
    source: str | None
    partner: str | None  # the partner's slug, whose form it was
    partner_id: int | None


async def insert_consents_granted(conn: Connection, granted: Sequence[ConsentGranted]) -> None:
    if granted:
        await conn.execute(
            INSERT_CONSENT_RECORDS,
            *(list(column) for column in zip(*(astuple(g) for g in granted), strict=True)),
        )


def latest_consent(scope: ConsentScope, supporter: str) -> str:
    """SQL for a LATERAL subquery: the latest record about `scope` that counts, for the
    supporter id in the column `supporter`, as (granted, signature_id, consent_text_id).

    A record given with a signature counts once that signature is confirmed (until then
    anyone could have typed the address); a withdrawal, made through an unsubscribe link,
    has no signature and counts at once. Records are append-only, so the latest one that
    counts is the supporter's current answer.
    """
    return f"""(
    SELECT r.granted, r.signature_id, r.consent_text_id
    FROM consent_records r
    LEFT JOIN signatures rs ON rs.id = r.signature_id
    WHERE r.supporter_id = {supporter} AND r.scope = '{ConsentScope(scope)}'
      AND (r.signature_id IS NULL OR rs.status = 'confirmed')
    ORDER BY r.id DESC
    LIMIT 1
)"""


SELECT_LATEST_CONSENT = {
    scope: f"SELECT granted, consent_text_id FROM {latest_consent(scope, '$1')} latest"
    for scope in ConsentScope
}


async def get_latest_consent(
    conn: Connection, supporter_id: UUID, scope: ConsentScope
) -> tuple[bool, int] | None:
    """(granted, the wording it was about) of the supporter's current answer; None: never
    asked, or only with a signature still unconfirmed."""
    row = await conn.fetchrow(SELECT_LATEST_CONSENT[scope], supporter_id)
    return None if row is None else (row["granted"], row["consent_text_id"])


# An answer made without a signature, which counts at once: by the owner of a mailbox, through
# a link we sent there. A withdrawal (an unsubscribe link, leaving the network) names the
# wording it withdraws from; a yes (joining the network, domain/network/membership.py) the
# wording the form showed.
INSERT_CONSENT_ANSWER = """
INSERT INTO consent_records (supporter_id, scope, granted, consent_text_id, source)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_consent_answer(
    conn: Connection,
    supporter_id: UUID,
    scope: ConsentScope,
    consent_text_id: int,
    source: str,
    *,
    granted: bool,
) -> None:
    await conn.execute(INSERT_CONSENT_ANSWER, supporter_id, scope, granted, consent_text_id, source)
