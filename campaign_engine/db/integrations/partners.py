"""Partners as the widget, the signing form and the workspace read them."""

from __future__ import annotations

from datetime import datetime

from asyncpg import Record

from campaign_engine.db.pool import Connection
from campaign_engine.models.integrations import Partner, PartnerDetails, PartnerListing

PARTNER_COLUMNS = """
id, slug, name, contact_email, allowed_origins, embed_key, disabled_at IS NOT NULL AS disabled
"""


def partner_from(row: Record) -> Partner:
    return Partner(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        contact_email=row["contact_email"],
        allowed_origins=tuple(row["allowed_origins"]),
        embed_key=row["embed_key"],
        disabled=row["disabled"],
    )


SELECT_PARTNER_BY_SLUG = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE slug = $1"


async def get_partner_by_slug(conn: Connection, slug: str) -> Partner | None:
    """The partner, disabled or not (callers decide what a disabled one may still do)."""
    row = await conn.fetchrow(SELECT_PARTNER_BY_SLUG, slug)
    return None if row is None else partner_from(row)


SELECT_PARTNER_BY_EMBED_KEY = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE embed_key = $1"


async def get_partner_by_embed_key(conn: Connection, embed_key: str) -> Partner | None:
    row = await conn.fetchrow(SELECT_PARTNER_BY_EMBED_KEY, embed_key)
    return None if row is None else partner_from(row)


# The partner's wording in the reader's language, else in English, else any it has.
SELECT_CONSENT_TEXT = """
SELECT locale, text FROM partner_consent_texts
WHERE partner_id = $1
ORDER BY locale = $2 DESC, locale = 'en' DESC, locale
LIMIT 1
"""


async def get_partner_consent_text(
    conn: Connection, partner_id: int, locale: str
) -> tuple[str, str] | None:
    """(locale, text) of the partner's opt-in sentence for this reader, or None."""
    row = await conn.fetchrow(SELECT_CONSENT_TEXT, partner_id, locale)
    return None if row is None else (row["locale"], row["text"])


# --- The workspace --------------------------------------------------------------------------

# Signatures per partner come from the partial index on signatures (partner_id, action_id).
SELECT_PARTNER_LISTINGS = f"""
SELECT {PARTNER_COLUMNS},
       (SELECT count(*) FROM signatures s
        WHERE s.partner_id = partners.id AND s.status <> 'erased') AS signatures
FROM partners
ORDER BY disabled_at IS NOT NULL, lower(name), id
"""


async def list_partner_listings(conn: Connection) -> list[PartnerListing]:
    rows = await conn.fetch(SELECT_PARTNER_LISTINGS)
    return [PartnerListing(partner_from(row), row["signatures"]) for row in rows]


SELECT_PARTNER = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1"


async def get_partner(conn: Connection, partner_id: int) -> Partner | None:
    row = await conn.fetchrow(SELECT_PARTNER, partner_id)
    return None if row is None else partner_from(row)


LOCK_PARTNER = f"SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1 FOR UPDATE"


async def lock_partner(conn: Connection, partner_id: int) -> Partner | None:
    row = await conn.fetchrow(LOCK_PARTNER, partner_id)
    return None if row is None else partner_from(row)


SELECT_CONSENT_TEXTS = "SELECT locale, text FROM partner_consent_texts WHERE partner_id = $1"


async def list_partner_consent_texts(conn: Connection, partner_id: int) -> dict[str, str]:
    rows = await conn.fetch(SELECT_CONSENT_TEXTS, partner_id)
    return {row["locale"]: row["text"] for row in rows}


INSERT_PARTNER = """
INSERT INTO partners (slug, name, contact_email, allowed_origins, embed_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (slug) DO NOTHING
RETURNING id
"""


async def insert_partner(
    conn: Connection, slug: str, details: PartnerDetails, embed_key: str, at: datetime
) -> int | None:
    """The new partner's id; None when the slug is taken."""
    partner_id: int | None = await conn.fetchval(
        INSERT_PARTNER,
        slug,
        details.name,
        details.contact_email,
        list(details.allowed_origins),
        embed_key,
        at,
    )
    return partner_id


UPDATE_PARTNER = """
UPDATE partners SET name = $2, contact_email = $3, allowed_origins = $4, updated_at = $5
WHERE id = $1
"""


async def update_partner(
    conn: Connection, partner_id: int, details: PartnerDetails, at: datetime
) -> None:
    await conn.execute(
        UPDATE_PARTNER,
        partner_id,
        details.name,
        details.contact_email,
        list(details.allowed_origins),
        at,
    )


# The texts as given replace the partner's: a language left empty has no sentence any more.
DELETE_CONSENT_TEXTS_NOT_IN = """
DELETE FROM partner_consent_texts WHERE partner_id = $1 AND NOT (locale = ANY($2::text[]))
"""
UPSERT_CONSENT_TEXT = """
INSERT INTO partner_consent_texts (partner_id, locale, text, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (partner_id, locale)
DO UPDATE SET text = EXCLUDED.text, updated_at = EXCLUDED.updated_at
WHERE partner_consent_texts.text <> EXCLUDED.text
"""


async def replace_partner_consent_texts(
    conn: Connection, partner_id: int, texts: dict[str, str], at: datetime
) -> None:
    await conn.execute(DELETE_CONSENT_TEXTS_NOT_IN, partner_id, list(texts))
    await conn.executemany(
        UPSERT_CONSENT_TEXT, [(partner_id, locale, text, at) for locale, text in texts.items()]
    )


UPDATE_EMBED_KEY = "UPDATE partners SET embed_key = $2, updated_at = $3 WHERE id = $1"


async def set_embed_key(conn: Connection, partner_id: int, embed_key: str, at: datetime) -> None:
    await conn.execute(UPDATE_EMBED_KEY, partner_id, embed_key, at)


# The first disabling time is kept: disabling twice changes nothing.
UPDATE_DISABLED = """
UPDATE partners
SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, $3) END, updated_at = $3
WHERE id = $1
"""


async def set_partner_disabled(
    conn: Connection, partner_id: int, disabled: bool, at: datetime
) -> None:
    await conn.execute(UPDATE_DISABLED, partner_id, disabled, at)


# --- The demo ---------------------------------------------------------------------------------

UPSERT_PARTNER = """
INSERT INTO partners (slug, name, contact_email, allowed_origins, embed_key)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (slug) DO UPDATE
SET name = EXCLUDED.name, allowed_origins = EXCLUDED.allowed_origins,
    embed_key = EXCLUDED.embed_key
RETURNING id
"""


async def upsert_partner(
    conn: Connection, slug: str, details: PartnerDetails, embed_key: str
) -> int:
    """The partner as given, created or brought back to it (the demo loads on every start)."""
    partner_id: int = await conn.fetchval(
        UPSERT_PARTNER,
        slug,
        details.name,
        details.contact_email,
        list(details.allowed_origins),
        embed_key,
    )
    return partner_id
