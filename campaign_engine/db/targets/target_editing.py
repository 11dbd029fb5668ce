"""Targets as campaigners list, write and import them; their addresses; held imports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg import Record

from campaign_engine.db.pool import Connection, from_row
from campaign_engine.models.campaigns import ActionStatus
from campaign_engine.models.targets import (
    Target,
    TargetContact,
    TargetDetails,
    TargetImport,
    TargetListing,
    TargetUse,
)

DETAIL_COLUMNS = """
external_id, name, title, organisation, country, time_zone, office_hours, preferred_locale,
salutations, max_per_hour, max_per_day, notes, postal_address
"""
TARGET_COLUMNS = f"id, updated_at, {DETAIL_COLUMNS}"


def details_from(row: Record) -> TargetDetails:
    return TargetDetails(**{name.strip(): row[name.strip()] for name in DETAIL_COLUMNS.split(",")})


def target_from(row: Record) -> Target:
    return Target(row["id"], details_from(row), row["updated_at"])


def _detail_values(details: TargetDetails) -> tuple[Any, ...]:
    return (
        details.external_id,
        details.name,
        details.title,
        details.organisation,
        details.country,
        details.time_zone,
        details.office_hours,
        details.preferred_locale,
        details.salutations,
        details.max_per_hour,
        details.max_per_day,
        details.notes,
        details.postal_address,
    )


# A search matches the start of any word of the name, title or organisation, or the external
# id; `$1` is a LIKE pattern (see like_pattern), NULL for every target.
SELECT_TARGET_LISTINGS = """
SELECT t.id, t.external_id, t.name, t.title, t.organisation, t.country, t.preferred_locale,
       count(c.id) AS contacts,
       count(c.id) FILTER (WHERE c.status <> 'ok') AS contacts_not_ok,
       ARRAY(SELECT DISTINCT a.code FROM action_targets at JOIN actions a ON a.id = at.action_id
             WHERE at.target_id = t.id ORDER BY a.code) AS action_codes
FROM targets t
LEFT JOIN target_contacts c ON c.target_id = t.id
WHERE $1::text IS NULL
   OR t.name ILIKE $1 OR t.title ILIKE $1 OR t.organisation ILIKE $1 OR t.external_id ILIKE $1
GROUP BY t.id
ORDER BY lower(t.name), t.id
LIMIT $2
"""


def like_pattern(search: str) -> str | None:
    """What ILIKE needs to find `search` anywhere, its wildcards taken literally."""
    if not search:
        return None
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_target_listings(conn: Connection, search: str, limit: int) -> list[TargetListing]:
    rows = await conn.fetch(SELECT_TARGET_LISTINGS, like_pattern(search), limit)
    return [from_row(TargetListing, row, action_codes=tuple(row["action_codes"])) for row in rows]


SELECT_TARGET = f"SELECT {TARGET_COLUMNS} FROM targets WHERE id = $1"


async def get_target(conn: Connection, target_id: int) -> Target | None:
    row = await conn.fetchrow(SELECT_TARGET, target_id)
    return None if row is None else target_from(row)


# An edit reads the target it changes under a lock: an import applied meanwhile waits, so the
# audit's list of changed fields is what this edit changed.
LOCK_TARGET = f"{SELECT_TARGET} FOR UPDATE"


async def lock_target(conn: Connection, target_id: int) -> Target | None:
    row = await conn.fetchrow(LOCK_TARGET, target_id)
    return None if row is None else target_from(row)


SELECT_TARGETS_BY_EXTERNAL_ID = f"""
SELECT {TARGET_COLUMNS} FROM targets WHERE external_id = ANY($1::text[]) ORDER BY id
FOR UPDATE
"""


async def lock_targets_by_external_id(
    conn: Connection, external_ids: Sequence[str]
) -> list[Target]:
    """The targets with these external ids, locked until the transaction ends (so an import
    compares with what it will overwrite)."""
    rows = await conn.fetch(SELECT_TARGETS_BY_EXTERNAL_ID, list(external_ids))
    return [target_from(row) for row in rows]


INSERT_TARGET = f"""
INSERT INTO targets ({DETAIL_COLUMNS}, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
ON CONFLICT (external_id) DO NOTHING
RETURNING id
"""


async def insert_target(conn: Connection, details: TargetDetails, at: datetime) -> int | None:
    """The new target's id; None if another target has its external id."""
    target_id: int | None = await conn.fetchval(INSERT_TARGET, *_detail_values(details), at)
    return target_id


UPDATE_TARGET = """
UPDATE targets
SET external_id = $2, name = $3, title = $4, organisation = $5, country = $6, time_zone = $7,
    office_hours = $8, preferred_locale = $9, salutations = $10, max_per_hour = $11,
    max_per_day = $12, notes = $13, postal_address = $14, updated_at = $15
WHERE id = $1
"""


async def update_target(
    conn: Connection, target_id: int, details: TargetDetails, at: datetime
) -> bool:
    """False if another target has the external id (the transaction is then spoilt: end it)."""
    try:
        await conn.execute(UPDATE_TARGET, target_id, *_detail_values(details), at)
    except asyncpg.UniqueViolationError:
        return False
    return True


# Many targets at once, by external id: an import's creations and changes in one statement.
UPSERT_TARGETS = """
INSERT INTO targets (external_id, name, title, organisation, country, time_zone, office_hours,
                     preferred_locale, salutations, max_per_hour, max_per_day, notes,
                     postal_address, created_at, updated_at)
SELECT r.external_id, r.name, r.title, r.organisation, r.country, r.time_zone, r.office_hours,
       r.preferred_locale, r.salutations, r.max_per_hour, r.max_per_day, r.notes,
       r.postal_address, $2, $2
FROM jsonb_to_recordset($1::jsonb) AS r(
    external_id text, name text, title text, organisation text, country text, time_zone text,
    office_hours jsonb, preferred_locale text, salutations jsonb, max_per_hour integer,
    max_per_day integer, notes text, postal_address text)
ON CONFLICT (external_id) DO UPDATE
SET name = EXCLUDED.name, title = EXCLUDED.title, organisation = EXCLUDED.organisation,
    country = EXCLUDED.country, time_zone = EXCLUDED.time_zone,
    office_hours = EXCLUDED.office_hours, preferred_locale = EXCLUDED.preferred_locale,
    salutations = EXCLUDED.salutations, max_per_hour = EXCLUDED.max_per_hour,
    max_per_day = EXCLUDED.max_per_day, notes = EXCLUDED.notes,
    postal_address = EXCLUDED.postal_address, updated_at = $2
RETURNING id, external_id
"""


async def upsert_targets(
    conn: Connection, targets: Sequence[TargetDetails], at: datetime
) -> dict[str, int]:
    """Create or overwrite targets that all have distinct external ids: external id -> id."""
    if not targets:
        return {}
    records = [dict(zip(_DETAIL_NAMES, _detail_values(t), strict=True)) for t in targets]
    rows = await conn.fetch(UPSERT_TARGETS, records, at)
    return {row["external_id"]: row["id"] for row in rows}


_DETAIL_NAMES = [name.strip() for name in DETAIL_COLUMNS.split(",")]


SELECT_CONTACTS = """
SELECT id, target_id, channel, address, status FROM target_contacts
WHERE target_id = ANY($1::bigint[])
ORDER BY target_id, channel, id
"""


async def list_contacts(conn: Connection, target_ids: Sequence[int]) -> list[TargetContact]:
    rows = await conn.fetch(SELECT_CONTACTS, list(target_ids))
    return [from_row(TargetContact, row) for row in rows]


INSERT_CONTACTS = """
INSERT INTO target_contacts (target_id, channel, address)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
ON CONFLICT (target_id, channel, address) DO NOTHING
"""


async def add_contacts(conn: Connection, contacts: Sequence[tuple[int, str, str]]) -> int:
    """Add (target id, channel, address) triples; returns how many were new."""
    if not contacts:
        return 0
    target_ids, channels, addresses = (list(column) for column in zip(*contacts, strict=True))
    result = await conn.execute(INSERT_CONTACTS, target_ids, channels, addresses)
    return int(result.split()[-1])


DELETE_CONTACT = "DELETE FROM target_contacts WHERE id = $1"


async def delete_contact(conn: Connection, contact_id: int) -> bool:
    """Remove an address; False (and nothing removed) if letters on record were sent to it."""
    try:
        async with conn.transaction():  # a savepoint: the refusal spoils nothing else
            await conn.execute(DELETE_CONTACT, contact_id)
    except asyncpg.ForeignKeyViolationError:
        return False
    return True


# Back to 'ok' once a campaigner has checked the address (a full mailbox emptied, a number
# unblocked); the next letter tries it again.
RESET_CONTACT = """
UPDATE target_contacts SET status = 'ok'
WHERE id = $1 AND target_id = $2
RETURNING status
"""


async def reset_contact(conn: Connection, target_id: int, contact_id: int) -> bool:
    """False if the target has no such address."""
    return await conn.fetchval(RESET_CONTACT, contact_id, target_id) is not None


SELECT_CONTACT_STATUS = "SELECT status FROM target_contacts WHERE id = $1 AND target_id = $2"


async def get_contact_status(conn: Connection, target_id: int, contact_id: int) -> str | None:
    status: str | None = await conn.fetchval(SELECT_CONTACT_STATUS, contact_id, target_id)
    return status


SELECT_TARGET_USES = """
SELECT a.slug, a.code, a.status, at.channel
FROM action_targets at JOIN actions a ON a.id = at.action_id
WHERE at.target_id = $1
ORDER BY a.id DESC, at.channel
"""


async def list_target_uses(conn: Connection, target_id: int) -> list[TargetUse]:
    rows = await conn.fetch(SELECT_TARGET_USES, target_id)
    return [from_row(TargetUse, row, status=ActionStatus(row["status"])) for row in rows]


INSERT_IMPORT = """
INSERT INTO target_imports (staff_id, rows, created_at) VALUES ($1, $2, $3) RETURNING id
"""


async def insert_import(
    conn: Connection, staff_id: int, rows: list[dict[str, object]], at: datetime
) -> int:
    import_id: int = await conn.fetchval(INSERT_IMPORT, staff_id, rows, at)
    return import_id


DELETE_IMPORTS_BEFORE = "DELETE FROM target_imports WHERE created_at < $1"


async def delete_imports_before(conn: Connection, before: datetime) -> None:
    await conn.execute(DELETE_IMPORTS_BEFORE, before)


SELECT_IMPORT_FOR_UPDATE = """
SELECT id, staff_id, rows, created_at, applied_at FROM target_imports WHERE id = $1 FOR UPDATE
"""


async def lock_import(conn: Connection, import_id: int) -> TargetImport | None:
    """The held import, locked: two clicks on "apply" apply it once."""
    row = await conn.fetchrow(SELECT_IMPORT_FOR_UPDATE, import_id)
    return None if row is None else from_row(TargetImport, row)


MARK_IMPORT_APPLIED = "UPDATE target_imports SET applied_at = $2, rows = '[]' WHERE id = $1"


async def mark_import_applied(conn: Connection, import_id: int, at: datetime) -> None:
    """Applied: its rows are in `targets` now, so the copy is dropped."""
    await conn.execute(MARK_IMPORT_APPLIED, import_id, at)
