"""Every query that reads or writes supporters' personal data, and no other module's.

Personal data lives in `supporters` (email addresses) and `signer_details` (names, phones,
personal messages), sealed at rest (sealing.py) with the keys each connection carries. Every
touch of it is here: sealed on the way in, opened on the way out, erased and exported in one
place. A query names a sealed column `<field>_sealed`; `opened` hands it on as `<field>`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from asyncpg import Record

from campaign_engine.db.campaigns.updates import AUDIENCE, reader_locale
from campaign_engine.db.pool import Connection, sealer_of
from campaign_engine.db.privacy.rights import (
    SELECT_SUPPORTER_CONSENTS,
    SELECT_SUPPORTER_MESSAGES,
)
from campaign_engine.db.signing.consent import latest_consent
from campaign_engine.models.delivery import SupporterMessageContext
from campaign_engine.models.integrations import ApiSignature
from campaign_engine.models.signing import (
    ConsentScope,
    SignatureExportRow,
    SignatureFilters,
    SignatureStatus,
)

# Each sealed column's label, bound into its values (sealing.py), by the field queries open it
# as: an address sealed as a name would not open.
EMAIL = "supporters.email"
NAME = "signer_details.name"
PHONE = "signer_details.phone"
COMMENT = "signer_details.comment"
SEALED_AS = {
    "email": EMAIL,
    "signer_email": EMAIL,
    "name": NAME,
    "signer_name": NAME,
    "phone": PHONE,
    "comment": COMMENT,
}
SUFFIX = "_sealed"

T = TypeVar("T")


def opened(conn: Connection, row: Record) -> dict[str, Any]:
    """A row's columns, each `<field>_sealed` opened into `<field>` (None stays None)."""
    sealer = sealer_of(conn)
    values: dict[str, Any] = {}
    for column, value in row.items():
        if column.endswith(SUFFIX):
            field = column.removesuffix(SUFFIX)
            if field not in SEALED_AS:
                raise LookupError(f"{column}: name its column in SEALED_AS")
            values[field] = sealer.open_optional(value, SEALED_AS[field])
        else:
            values[column] = value
    return values


def opened_as(shape: type[T], conn: Connection, row: Record, **converted: Any) -> T:
    """A dataclass from a row with sealed columns (see `opened`; `converted` as from_row)."""
    return shape(**{**opened(conn, row), **converted})


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


# The action's title comes in the signer's language when it has one, else the action's own.
SELECT_SUPPORTER_MESSAGE_CONTEXT = """
SELECT s.id AS signature_id, s.status AS signature_status, s.locale,
       p.email_sealed, d.name_sealed, p.id AS supporter_id,
       a.slug AS action_slug, a.code AS action_code, t.title AS action_title,
       t.locale AS action_locale
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
    return opened_as(
        SupporterMessageContext,
        conn,
        row,
        signature_status=SignatureStatus(row["signature_status"]),
    )


# Those who signed an action in a period, oldest first: countries for everyone, names for
# those who did not ask to stay unnamed.
SELECT_DIGEST_SIGNERS = """
SELECT CASE WHEN s.anonymous THEN NULL ELSE d.name_sealed END AS name_sealed, s.country
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
    signers = [
        opened(conn, row) for row in await conn.fetch(SELECT_DIGEST_SIGNERS, action_id, start, end)
    ]
    return [(signer["name"], signer["country"]) for signer in signers]


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
# thousands of them in seconds. Addresses are at example.org and carry `batch`; all share one
# sealed name (sealing it once is the benchmark's shortcut, not a pattern to copy).
INSERT_SYNTHETIC_SIGNERS = """
WITH new_supporters AS (
    INSERT INTO supporters (email_sealed, email_key, locale)
    SELECT sealed, key, 'en' FROM unnest($2::bytea[], $3::bytea[]) AS x(sealed, key)
    RETURNING id
), new_signatures AS (
    INSERT INTO signatures (action_id, supporter_id, locale, country, status, confirmed_at)
    SELECT $1, id, 'en', 'GB', 'confirmed', now() FROM new_supporters
    RETURNING id
)
INSERT INTO signer_details (signature_id, name_sealed)
SELECT id, $4 FROM new_signatures
"""


async def insert_synthetic_signers(
    conn: Connection, action_id: int, count: int, batch: str
) -> None:
    sealer = sealer_of(conn)
    numbers = range(1, count + 1)
    await conn.execute(
        INSERT_SYNTHETIC_SIGNERS,
        action_id,
        [sealer.seal(f"signer{n}@example.org", EMAIL) for n in numbers],
        [sealer.lookup_key(f"signer{n}.{batch}@example.org") for n in numbers],
        sealer.seal("Bench Signer", NAME),
    )


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
       sd.name_sealed AS signer_name_sealed, p.email_sealed AS signer_email_sealed,
       s.country AS signer_country, sd.comment_sealed, s.anonymous
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
    rows = await conn.fetch(SELECT_APPEALS, delivery_ids)
    return [opened_as(AppealRow, conn, row) for row in rows]


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
) -> AsyncIterator[list[SignatureExportRow]]:
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


# --- Updates to supporters (domain/campaigns/updates.py, domain/delivery/mailings.py) ---

# The number an update by text goes to: the one given with the signature whose consent to
# texts is the supporter's current answer.
TEXT_PHONE = f"""
JOIN LATERAL {latest_consent(ConsentScope.SMS, "x.supporter_id")} texts ON texts.granted
JOIN signer_details phone_of ON phone_of.signature_id = texts.signature_id
"""

# The numbers of everyone who would receive the case's updates by text (before STOP, which
# only a keyed hash of each number can tell).
SELECT_CASE_TEXT_PHONES = f"""
SELECT phone_of.phone_sealed
FROM ({AUDIENCE}) x
{TEXT_PHONE}
WHERE phone_of.phone_sealed IS NOT NULL
"""


async def list_case_text_phones(conn: Connection, case_id: int) -> list[str]:
    rows = await conn.fetch(SELECT_CASE_TEXT_PHONES, case_id)
    return [opened(conn, row)["phone"] for row in rows]


SELECT_TEXT_PHONES = f"""
SELECT x.supporter_id, phone_of.phone_sealed
FROM unnest($1::uuid[]) AS x(supporter_id)
{TEXT_PHONE}
WHERE phone_of.phone_sealed IS NOT NULL
"""


async def list_text_phones(conn: Connection, supporter_ids: list[UUID]) -> list[tuple[UUID, str]]:
    """(supporter, number) of those among `supporter_ids` who agreed to texts."""
    found = [opened(conn, row) for row in await conn.fetch(SELECT_TEXT_PHONES, supporter_ids)]
    return [(texter["supporter_id"], texter["phone"]) for texter in found]


@dataclass(frozen=True)
class UpdateRecipient:
    """Whom an update's delivery goes to, and whether they still want it."""

    delivery_id: UUID
    channel: str
    supporter_id: UUID
    event_id: int | None  # None: the event was deleted
    email: str
    phone: str | None  # the number they agreed to texts with, while they agree
    locale: str  # the language of their latest confirmed signature
    wants_updates: bool
    wants_texts: bool


# Asked again just before sending: an unsubscribe since the fan-out stops what is left.
SELECT_UPDATE_RECIPIENTS = f"""
SELECT d.id AS delivery_id, d.channel, d.supporter_id, d.case_event_id AS event_id,
       p.email_sealed, phone_of.phone_sealed, coalesce(lang.locale, p.locale) AS locale,
       coalesce(wants.granted, false) AS wants_updates,
       coalesce(texts.granted, false) AS wants_texts
FROM deliveries d
JOIN supporters p ON p.id = d.supporter_id
LEFT JOIN LATERAL {reader_locale("d.supporter_id")} lang ON true
LEFT JOIN LATERAL {latest_consent(ConsentScope.UPDATES, "d.supporter_id")} wants ON true
LEFT JOIN LATERAL {latest_consent(ConsentScope.SMS, "d.supporter_id")} texts ON true
LEFT JOIN signer_details phone_of ON phone_of.signature_id = texts.signature_id AND texts.granted
WHERE d.id = ANY($1::uuid[]) AND d.kind = 'update'
"""


async def list_update_recipients(
    conn: Connection, delivery_ids: list[UUID]
) -> list[UpdateRecipient]:
    rows = await conn.fetch(SELECT_UPDATE_RECIPIENTS, delivery_ids)
    return [opened_as(UpdateRecipient, conn, row) for row in rows]


SELECT_OPTED_OUT_KEYS = "SELECT phone_key FROM sms_opt_outs WHERE phone_key = ANY($1::bytea[])"


async def list_opted_out(conn: Connection, phone_keys: list[bytes]) -> set[bytes]:
    """Which of these numbers (as keyed hashes) texted STOP."""
    return {bytes(row["phone_key"]) for row in await conn.fetch(SELECT_OPTED_OUT_KEYS, phone_keys)}


# Unsubscribing holds the supporter's row, so two clicks at once record one withdrawal.
LOCK_SUPPORTER = "SELECT true FROM supporters WHERE id = $1 FOR UPDATE"


async def lock_supporter(conn: Connection, supporter_id: UUID) -> bool:
    """False when we hold no such supporter (erased)."""
    return bool(await conn.fetchval(LOCK_SUPPORTER, supporter_id))


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


DELETE_SIGNER_DETAILS_OF_SUPPORTER = """
DELETE FROM signer_details d USING signatures s
WHERE d.signature_id = s.id AND s.supporter_id = $1
"""


async def delete_signer_details_of_supporter(conn: Connection, supporter_id: UUID) -> None:
    await conn.execute(DELETE_SIGNER_DETAILS_OF_SUPPORTER, supporter_id)


DELETE_SIGNER_DETAILS_OF_ACTION = """
DELETE FROM signer_details d USING signatures s
WHERE d.signature_id = s.id AND s.action_id = $1
"""


async def delete_signer_details_of_action(conn: Connection, action_id: int) -> int:
    result = await conn.execute(DELETE_SIGNER_DETAILS_OF_ACTION, action_id)
    return int(result.split()[-1])


# Supporters whom retention left with no signature at all: nothing ties them to anything any
# more, so nothing of them is kept (their consent evidence goes just before them).
SELECT_SUPPORTERS_WITHOUT_SIGNATURES = """
SELECT p.id FROM supporters p
WHERE p.id = ANY($1::uuid[])
  AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.supporter_id = p.id)
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


@dataclass(frozen=True)
class LinkRecipient:
    supporter_id: UUID
    email: str
    locale: str


# Whom a privacy-link email goes to: the address we hold, never one typed into the form.
SELECT_LINK_RECIPIENT = """
SELECT p.id AS supporter_id, p.email_sealed, p.locale
FROM deliveries d JOIN supporters p ON p.id = d.supporter_id
WHERE d.id = $1
"""


async def get_link_recipient(conn: Connection, delivery_id: UUID) -> LinkRecipient | None:
    row = await conn.fetchrow(SELECT_LINK_RECIPIENT, delivery_id)
    return None if row is None else opened_as(LinkRecipient, conn, row)


# Sealing (sealing.py): what `keys rotate` and migration 0018 do to every sealed value. ------
#
# Rotation takes no lock: nothing but rotation ever rewrites a sealed value (signing inserts,
# erasure and retention delete), so it reads a batch, reseals what is under another key, and
# writes each value back only if it is still the one it read. Rows come in primary-key order
# from where the last batch ended, so each batch is an index range, however big the table.
FIRST = UUID(int=0)

SELECT_SUPPORTERS_AFTER = """
SELECT id, email_sealed FROM supporters WHERE id > $1 ORDER BY id LIMIT $2
"""

UPDATE_SUPPORTER_EMAILS = """
UPDATE supporters p SET email_sealed = x.sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, was)
WHERE p.id = x.id AND p.email_sealed = x.was
"""


async def reseal_supporters(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """Reseal under the sealing key the addresses of the next `limit` supporters after
    `after`: (the last one looked at, None past the end; how many were resealed)."""
    sealer = sealer_of(conn)
    rows = await conn.fetch(SELECT_SUPPORTERS_AFTER, after or FIRST, limit)
    stale = [row for row in rows if not sealer.is_current(row["email_sealed"])]
    if stale:
        await conn.execute(
            UPDATE_SUPPORTER_EMAILS,
            [row["id"] for row in stale],
            [sealer.reseal(row["email_sealed"], EMAIL) for row in stale],
            [row["email_sealed"] for row in stale],
        )
    return (rows[-1]["id"] if rows else None), len(stale)


SELECT_SIGNER_DETAILS_AFTER = """
SELECT signature_id, name_sealed, phone_sealed, comment_sealed FROM signer_details
WHERE signature_id > $1 ORDER BY signature_id LIMIT $2
"""

# The three are written together, once, so the name tells whether the row is the one read
# (NULL for a row migration 0018 is sealing for the first time).
UPDATE_SIGNER_DETAILS_SEALED = """
UPDATE signer_details d
SET name_sealed = x.name_sealed, phone_sealed = x.phone_sealed, comment_sealed = x.comment_sealed
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[])
     AS x(signature_id, name_sealed, phone_sealed, comment_sealed, name_was)
WHERE d.signature_id = x.signature_id AND d.name_sealed IS NOT DISTINCT FROM x.name_was
"""

DETAIL_COLUMNS = (("name_sealed", NAME), ("phone_sealed", PHONE), ("comment_sealed", COMMENT))


async def reseal_signer_details(
    conn: Connection, after: UUID | None, limit: int
) -> tuple[UUID | None, int]:
    """As reseal_supporters, for names, phones and messages: (last looked at, rows resealed)."""
    sealer = sealer_of(conn)
    rows = await conn.fetch(SELECT_SIGNER_DETAILS_AFTER, after or FIRST, limit)

    def stale(row: Record) -> bool:
        return any(row[c] is not None and not sealer.is_current(row[c]) for c, _ in DETAIL_COLUMNS)

    def resealed(column: str, label: str) -> list[bytes | None]:
        return [None if r[column] is None else sealer.reseal(r[column], label) for r in found]

    found = [row for row in rows if stale(row)]
    if found:
        await conn.execute(
            UPDATE_SIGNER_DETAILS_SEALED,
            [row["signature_id"] for row in found],
            *(resealed(column, label) for column, label in DETAIL_COLUMNS),
            [row["name_sealed"] for row in found],
        )
    return (rows[-1]["signature_id"] if rows else None), len(found)


# Values under each key, by its id (the bytes after the version): what `keys rotate` reports.
COUNT_SEALED_BY_KEY = """
SELECT substring(v FROM 2 FOR 4) AS key_id, count(*) AS sealed
FROM (
    SELECT email_sealed AS v FROM supporters
    UNION ALL SELECT name_sealed FROM signer_details
    UNION ALL SELECT phone_sealed FROM signer_details WHERE phone_sealed IS NOT NULL
    UNION ALL SELECT comment_sealed FROM signer_details WHERE comment_sealed IS NOT NULL
) sealed
GROUP BY 1
"""


async def count_sealed_by_key(conn: Connection) -> dict[bytes, int]:
    rows = await conn.fetch(COUNT_SEALED_BY_KEY)
    return {bytes(row["key_id"]): row["sealed"] for row in rows}


# Migration 0018 only (db/migrate.py): the values 0017 left in the plain columns, sealed a
# batch at a time in key order, before 0018 drops those columns. The tables are locked first,
# so nothing written by a process still running older code can slip past the sealing.
LOCK_PERSONAL_TABLES = "LOCK TABLE supporters, signer_details IN EXCLUSIVE MODE"

SELECT_PLAIN_SUPPORTERS = """
SELECT id, email, email_canonical FROM supporters WHERE id > $1 ORDER BY id LIMIT $2
"""

UPDATE_SUPPORTERS_SEALED = """
UPDATE supporters p SET email_sealed = x.sealed, email_key = x.key
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS x(id, sealed, key)
WHERE p.id = x.id
"""


async def seal_plain_supporters(conn: Connection, batch_size: int = 5_000) -> int:
    """Seal every plain address (call inside the migration's transaction); returns how many."""
    await conn.execute(LOCK_PERSONAL_TABLES)
    sealed, after = 0, FIRST
    while rows := await conn.fetch(SELECT_PLAIN_SUPPORTERS, after, batch_size):
        sealer = sealer_of(conn)  # asked for only when there is something to seal
        await conn.execute(
            UPDATE_SUPPORTERS_SEALED,
            [row["id"] for row in rows],
            [sealer.seal(row["email"], EMAIL) for row in rows],
            [sealer.lookup_key(row["email_canonical"]) for row in rows],
        )
        sealed, after = sealed + len(rows), rows[-1]["id"]
    return sealed


SELECT_PLAIN_SIGNER_DETAILS = """
SELECT signature_id, name, phone, comment FROM signer_details
WHERE signature_id > $1 ORDER BY signature_id LIMIT $2
"""


async def seal_plain_signer_details(conn: Connection, batch_size: int = 5_000) -> int:
    """Seal every plain name, phone and message (after seal_plain_supporters, which locked
    the tables); returns how many rows."""
    sealed, after = 0, FIRST
    while rows := await conn.fetch(SELECT_PLAIN_SIGNER_DETAILS, after, batch_size):
        sealer = sealer_of(conn)
        await conn.execute(
            UPDATE_SIGNER_DETAILS_SEALED,
            [row["signature_id"] for row in rows],
            [sealer.seal(row["name"], NAME) for row in rows],
            [sealer.seal_optional(row["phone"], PHONE) for row in rows],
            [sealer.seal_optional(row["comment"], COMMENT) for row in rows],
            [None] * len(rows),
        )
        sealed, after = sealed + len(rows), rows[-1]["signature_id"]
    return sealed
