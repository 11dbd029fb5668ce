"""Bringing an existing network in (domain/network/member_import.py): the file's checked rows
held, sealed, for the preview; the addresses the file names, as we know them; and the members
it makes, with the consent evidence their organisation kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from campaign_engine.db.personal.sealed import EMAIL, IMPORT_ROWS
from campaign_engine.db.pool import Connection, sealer_of

INSERT_IMPORT = """
INSERT INTO network_imports (staff_id, rows_sealed, created_at) VALUES ($1, $2, $3)
RETURNING id
"""


async def insert_import(
    conn: Connection, staff_id: int, rows: list[dict[str, Any]], now: datetime
) -> int:
    sealed = sealer_of(conn).seal(json.dumps(rows), IMPORT_ROWS)
    import_id: int = await conn.fetchval(INSERT_IMPORT, staff_id, sealed, now)
    return import_id


@dataclass(frozen=True)
class HeldImport:
    staff_id: int
    rows: list[dict[str, Any]]
    created_at: datetime
    applied_at: datetime | None


LOCK_IMPORT = """
SELECT staff_id, rows_sealed, created_at, applied_at FROM network_imports WHERE id = $1
FOR UPDATE
"""


async def lock_import(conn: Connection, import_id: int) -> HeldImport | None:
    row = await conn.fetchrow(LOCK_IMPORT, import_id)
    if row is None:
        return None
    rows = json.loads(sealer_of(conn).open(row["rows_sealed"], IMPORT_ROWS))
    return HeldImport(row["staff_id"], rows, row["created_at"], row["applied_at"])


MARK_APPLIED = "UPDATE network_imports SET applied_at = $2 WHERE id = $1"


async def mark_applied(conn: Connection, import_id: int, now: datetime) -> None:
    await conn.execute(MARK_APPLIED, import_id, now)


# Previews nobody applied, and applied ones, are not kept: they hold addresses.
DELETE_IMPORTS_BEFORE = "DELETE FROM network_imports WHERE created_at < $1"


async def delete_imports_before(conn: Connection, before: datetime) -> None:
    await conn.execute(DELETE_IMPORTS_BEFORE, before)


# Where each address of the file stands with us: a supporter or not, a member or not.
SELECT_KNOWN = """
SELECT k.key, p.id AS supporter_id, m.status
FROM unnest($1::bytea[]) AS k(key)
JOIN supporters p ON p.email_key = k.key
LEFT JOIN members m ON m.supporter_id = p.id
"""


async def find_known(
    conn: Connection, canonical_emails: Sequence[str]
) -> dict[str, tuple[UUID, str | None]]:
    """By canonical address: (supporter, membership status or None) of those we hold."""
    sealer = sealer_of(conn)
    keys = {sealer.lookup_key(email): email for email in canonical_emails}
    rows = await conn.fetch(SELECT_KNOWN, list(keys))
    return {keys[bytes(row["key"])]: (row["supporter_id"], row["status"]) for row in rows}


@dataclass(frozen=True)
class ImportedMember:
    email: str
    email_canonical: str
    locale: str
    languages: list[str]
    countries: list[str]
    regions: list[str]
    themes: list[str]
    frequency: str
    weekly_cap: int | None
    consent_text_id: int
    consented_at: datetime
    source: str


# Every member of a batch in one statement: the supporter found or made, the membership made
# active (a pending one takes the file's choices; an active or departed one is never touched:
# the caller leaves them out), and their consent kept as evidence, dated when it was given.
IMPORT_MEMBERS = """
WITH member AS (
    SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::int[], $9::bigint[], $10::timestamptz[],
                         $11::text[], $13::text[])
        AS m(email_sealed, email_key, locale, languages, countries, themes, frequency,
             weekly_cap, consent_text_id, consented_at, source, regions)
), supporter AS (
    INSERT INTO supporters (email_sealed, email_key, locale)
    SELECT email_sealed, email_key, locale FROM member ORDER BY email_key
    ON CONFLICT (email_key) DO UPDATE SET email_key = EXCLUDED.email_key
    RETURNING id, email_key
), joined AS (
    INSERT INTO members (supporter_id, status, locale, languages, countries, themes, frequency,
                         weekly_cap, consent_text_id, asked_at, joined_at, regions)
    SELECT s.id, 'active', m.locale,
           ARRAY(SELECT jsonb_array_elements_text(m.languages::jsonb)),
           ARRAY(SELECT jsonb_array_elements_text(m.countries::jsonb)),
           ARRAY(SELECT jsonb_array_elements_text(m.themes::jsonb)),
           m.frequency, m.weekly_cap, m.consent_text_id, m.consented_at, $12,
           ARRAY(SELECT jsonb_array_elements_text(m.regions::jsonb))
    FROM member m JOIN supporter s USING (email_key)
    ON CONFLICT (supporter_id) DO UPDATE
        SET status = 'active', locale = EXCLUDED.locale, languages = EXCLUDED.languages,
            countries = EXCLUDED.countries, themes = EXCLUDED.themes,
            regions = EXCLUDED.regions, frequency = EXCLUDED.frequency,
            weekly_cap = EXCLUDED.weekly_cap,
            consent_text_id = EXCLUDED.consent_text_id, joined_at = EXCLUDED.joined_at
        WHERE members.status = 'pending'
    RETURNING supporter_id
)
INSERT INTO consent_records (supporter_id, scope, granted, consent_text_id, source, created_at)
SELECT s.id, 'network', true, m.consent_text_id, m.source, m.consented_at
FROM member m JOIN supporter s USING (email_key) JOIN joined j ON j.supporter_id = s.id
"""


async def import_members(conn: Connection, members: Sequence[ImportedMember], now: datetime) -> int:
    """How many became members (a row whose address joined meanwhile changes nothing)."""
    if not members:
        return 0
    sealer = sealer_of(conn)
    done = await conn.execute(
        IMPORT_MEMBERS,
        [sealer.seal(m.email, EMAIL) for m in members],
        [sealer.lookup_key(m.email_canonical) for m in members],
        [m.locale for m in members],
        # Lists of differing lengths, each as a JSON array: an array of arrays must be square.
        [json.dumps(m.languages) for m in members],
        [json.dumps(m.countries) for m in members],
        [json.dumps(m.themes) for m in members],
        [m.frequency for m in members],
        [m.weekly_cap for m in members],
        [m.consent_text_id for m in members],
        [m.consented_at for m in members],
        [m.source for m in members],
        now,
        [json.dumps(m.regions) for m in members],
    )
    return int(done.split()[-1])
